import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { clickhouseString, duckString, sqlNumber } from './sql-literal';

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom("'", "\\'", "\\", "''", "'; DROP TABLE events; --", "x' OR '1'='1", '\u0000', '\\0', "\\\\'", '\n\r\t', '${x}', '$1', '?'),
  fc.array(fc.constantFrom("'", '\\', '\0', '"', ';', '-', '\n', 'a', 'é', '😀'), { maxLength: 30 }).map((a) => a.join('')),
);

describe('SQL string literals', () => {
  it('round-trip any string through DuckDB unchanged', async () => {
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    await fc.assert(
      fc.asyncProperty(hostile, async (s) => {
        const rows = (await conn.runAndReadAll(`SELECT ${duckString(s)} AS v`)).getRowObjectsJS();
        expect(rows).toEqual([{ v: s }]);
      }),
      { numRuns: 400 },
    );
  });

  it('escapes every ClickHouse metacharacter so the literal stays one token', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const lit = clickhouseString(s);
        // Unescaping the way ClickHouse's lexer does must give back the input.
        const body = lit.slice(1, -1);
        expect(/(^|[^\\])(\\\\)*'/.test(body)).toBe(false); // no unescaped quote inside
        const back = body.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '0': '\0' } as Record<string, string>)[c] ?? c);
        expect(back).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses non-strings and non-finite numbers', () => {
    expect(() => duckString(1 as unknown as string)).toThrow(TypeError);
    expect(() => sqlNumber(NaN)).toThrow(TypeError);
    expect(sqlNumber(12.5)).toBe('12.5');
  });
});
