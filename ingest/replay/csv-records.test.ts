import fc from 'fast-check';
import { csvRecords, type CsvRecord } from './csv-records';

async function* chunked(text: string, sizes: number[]): AsyncGenerator<string> {
  let pos = 0, i = 0;
  while (pos < text.length) {
    const n = Math.max(1, sizes.length ? sizes[i++ % sizes.length] : text.length);
    yield text.slice(pos, pos + n);
    pos += n;
  }
}

async function parse(text: string, sizes: number[] = []): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const rec of csvRecords(chunked(text, sizes))) out.push(rec);
  return out;
}

const encode = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);

describe('csvRecords', () => {
  it('splits quoted fields with commas, doubled quotes and line breaks (RFC 4180)', async () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n1,,3';
    const recs = await parse(text);
    expect(recs.map((r) => r.fields)).toEqual([['a', 'b', 'c'], ['x, y', 'say "hi"', 'two\nlines'], ['1', '', '3']]);
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(recs[1].raw).toBe('"x, y","say ""hi""","two\nlines"');
  });

  it('drops a BOM and reports an unterminated quote at the end of the file', async () => {
    const recs = await parse('\ufeffh1,h2\n"open,never closed\n');
    expect(recs[0].fields).toEqual(['h1', 'h2']);
    expect(recs[1]).toMatchObject({ line: 2, error: 'unterminated quoted field' });
  });

  it('gives the same records however the input is chunked', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '1'), maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 5 }),
        fc.constantFrom('\n', '\r\n'),
        async (rows, sizes, eol) => {
          const text = rows.map((r) => r.map(encode).join(',')).join(eol) + eol;
          const recs = await parse(text, sizes);
          expect(recs.map((r) => r.fields)).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });
});
