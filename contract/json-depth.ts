/**
 * Deeply nested input is legal JSON that V8 parses iteratively but serialises recursively:
 * an event nested some thousands of levels deep makes JSON.stringify throw a RangeError.
 * The validator refuses such events up front, and DLQ records use `safeStringify`.
 */
export const MAX_DEPTH = 32;

/** Nesting depth of a parsed JSON value, computed without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = MAX_DEPTH + 1): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max >= limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth]);
  }
  return max;
}

/** JSON text of any parsed input; parts nested beyond `MAX_DEPTH` become "[nested too deep]". */
export function safeStringify(value: unknown): string {
  if (jsonDepth(value) <= MAX_DEPTH) return JSON.stringify(value) ?? 'null';
  const cut = (v: unknown, d: number): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (d >= MAX_DEPTH) return '[nested too deep]';
    if (Array.isArray(v)) return v.map((x) => cut(x, d + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x, d + 1)]));
  };
  return JSON.stringify(cut(value, 0));
}
