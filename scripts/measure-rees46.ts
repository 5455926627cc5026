/**
 * Measures a REES46 clickstream CSV and prints the figures the generator needs.
 *
 *   npx tsx scripts/measure-rees46.ts [file.csv]          # JSON on stdout
 *   npx tsx scripts/measure-rees46.ts [file.csv] --ts     # the ingest/generator/rees46-profile.ts module
 *
 * The default file is the shared sample beside the repository.
 */
import fs from 'node:fs';
import { measureRees46 } from '../ingest/generator/measure';
import type { Rees46Profile } from '../ingest/generator/profile-types';
import { REES46_SAMPLE_PATH } from '../ingest/replay/replay-common';

const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';

/** A TypeScript literal on one line. */
function literal(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${literal(x)}`).join(', ')} }`;
  return String(v);
}

/** Readable layout: short values and scalar-only objects on one line, array elements one per line. */
function format(value: unknown, indent = ''): string {
  const one = literal(value);
  if (isScalar(value) || indent.length + one.length <= 110) return one;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return `[\n${wrap(value.map(literal), inner)}\n${indent}]`;
    return `[\n${value.map((v) => `${inner}${literal(v)},`).join('\n')}\n${indent}]`;
  }
  if (Object.values(value as object).every(isScalar) && indent.length + one.length <= 150) return one;
  return `{\n${Object.entries(value as object).map(([k, v]) => `${inner}${k}: ${format(v, inner)},`).join('\n')}\n${indent}}`;
}

function wrap(items: string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && indent.length + line.length + item.length > 118) { lines.push(indent + line.trimEnd()); line = ''; }
    line += `${item}, `;
  }
  if (line) lines.push(indent + line.trimEnd());
  return lines.join('\n');
}

function asModule(profile: Rees46Profile): string {
  return [
    `import type { Rees46Profile } from './profile-types';`,
    ``,
    `/**`,
    ` * Figures measured from ${profile.source} (the shared REES46 sample) by`,
    ` * \`npx tsx scripts/measure-rees46.ts --ts > ingest/generator/rees46-profile.ts\`.`,
    ` * Do not edit by hand: rees46-profile.test.ts re-measures the file and compares.`,
    ` */`,
    `export const REES46_PROFILE: Rees46Profile = ${format(profile)};`,
    ``,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--')) ?? REES46_SAMPLE_PATH;
  if (!fs.existsSync(file)) throw new Error(`REES46 file not found: ${file} (pass a path, or put the shared datasets beside the repository)`);
  const profile = await measureRees46(file);
  process.stdout.write(args.includes('--ts') ? asModule(profile) : `${JSON.stringify(profile, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
