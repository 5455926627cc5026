import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEventValidator } from '../../contract/validate';
import { parseRees46Time, readRees46Csv, rees46TimeRange, type Rees46Options } from './rees46-csv';
import { datasetAvailable, REES46_SAMPLE_PATH, type ReplayResult } from './replay-common';

const HEADER = 'event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session';
const NOW = Date.parse('2026-11-23T10:00:00.000Z');

async function readAll(file: string, options: Rees46Options = {}): Promise<ReplayResult[]> {
  const out: ReplayResult[] = [];
  for await (const r of readRees46Csv(file, options)) out.push(r);
  return out;
}
const okEvents = (results: ReplayResult[]) => results.flatMap((r) => (r.ok ? [r.event] : []));

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rees46-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };

describe('REES46 CSV on small hand-made files', () => {
  it('maps each event type and keeps quoted fields with commas whole', async () => {
    const file = write('types.csv', [
      HEADER,
      '2019-10-01 00:00:05 UTC,view,100,2053013555631882655,electronics.smartphone,"acme, inc",489.07,520088904,s-1',
      '2019-10-01 00:00:06 UTC,cart,100,2053013555631882655,electronics.smartphone,acme,489.07,520088904,s-1',
      '2019-10-01 00:00:07 UTC,remove_from_cart,100,2053013555631882655,electronics.smartphone,acme,489.07,520088904,s-1',
      '2019-10-01 00:00:08 UTC,purchase,100,2053013555631882655,electronics.smartphone,acme,489.07,520088904,s-1',
    ].join('\r\n'));
    const events = okEvents(await readAll(file));
    expect(events.map((e) => e.event_type)).toEqual(['product_view', 'add_to_cart', 'remove_from_cart', 'purchase']);
    expect(events[0]).toMatchObject({ occurred_at: '2019-10-01T00:00:05.000Z', user_id: '520088904', session_id: 's-1',
      properties: { product_id: '100', category: 'electronics.smartphone', brand: 'acme, inc', price: 489.07, currency: 'USD' } });
    expect(events[1].properties).toMatchObject({ quantity: 1 });
    const purchase = events[3];
    if (purchase.event_type !== 'purchase') throw new Error('not a purchase');
    expect(purchase.properties).toMatchObject({ revenue: 489.07, currency: 'USD', items: [{ product_id: '100', price: 489.07, quantity: 1 }] });
    expect(purchase.properties.order_id).toMatch(/^rees46-[0-9a-f]{24}$/);
    const validate = createEventValidator();
    expect(events.map(validate).every((v) => v.ok)).toBe(true);
  });

  it('fills empty fields: category from category_id, no brand, session from user and day', async () => {
    const file = write('empty.csv', `${HEADER}\n2019-10-02 13:00:00 UTC,view,7,2053013552326770905,,,5.00,42,\n`);
    const [event] = okEvents(await readAll(file));
    expect(event).toMatchObject({ session_id: '42-2019-10-02', properties: { category: 'category:2053013552326770905', price: 5 } });
    expect(event.properties).not.toHaveProperty('brand');
  });

  it('reports bad rows with line, reason and text instead of dropping them', async () => {
    const rows = [
      '2019-10-01 00:00:00 UTC,view,1,2,,,1.00,3,s',
      '2019-10-01 00:00:00 UTC,view,1,2,,1.00,3,s',
      'yesterday,view,1,2,,,1.00,3,s',
      '2019-02-30 00:00:00 UTC,view,1,2,,,1.00,3,s',
      '2019-10-01 00:00:00 UTC,view,1,2,,,free,3,s',
      '2019-10-01 00:00:00 UTC,wishlist,1,2,,,1.00,3,s',
      '2019-10-01 00:00:00 UTC,view,1,2,,,1.00,,s',
      '',
      '2019-10-01 00:00:00 UTC,view,1,2,,,"1.00,3,s',
    ];
    const results = await readAll(write('bad.csv', [HEADER, ...rows].join('\n')));
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'ok', 'expected 9 fields, got 8', 'unparsable event_time "yesterday"', 'unparsable event_time "2019-02-30 00:00:00 UTC"',
      'unparsable price "free"', 'unknown event_type "wishlist"', 'empty user_id', 'unterminated quoted field',
    ]);
    expect(results[1]).toEqual({ ok: false, line: 3, reason: 'expected 9 fields, got 8', raw: rows[1] });
    expect(results[7]).toMatchObject({ line: 10 });
  });

  it('reads a file without a header in the standard column order, and gives stable distinct ids', async () => {
    const row = '2019-10-01 00:00:00 UTC,view,1,2,,,1.00,3,s';
    const file = write('noheader.csv', `${row}\n${row}\n`);
    const [a, b] = okEvents(await readAll(file));
    const [a2] = okEvents(await readAll(file));
    expect(a.event_id).toBe(a2.event_id);
    expect(a.event_id).not.toBe(b.event_id); // a repeated row on another line is another view
    expect(a.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('parses REES46 times strictly', () => {
    expect(parseRees46Time('2019-10-01 00:00:00 UTC')).toBe(Date.UTC(2019, 9, 1));
    expect(parseRees46Time('2019-13-01 00:00:00 UTC')).toBeUndefined();
  });
});

describe('datasetAvailable', () => {
  it('fails in CI when the sample is missing, and skips with a printed reason elsewhere', () => {
    const missing = path.join(dir, 'absent.csv');
    expect(() => datasetAvailable(missing, { ci: true })).toThrow(/dataset missing in CI/);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(datasetAvailable(missing, { ci: false })).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(missing));
    } finally {
      warn.mockRestore();
    }
  });
});

const present = datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' });

(present ? describe : describe.skip)('REES46 CSV on the real sample', () => {
  let first: ReplayResult[];
  beforeAll(async () => { first = await readAll(REES46_SAMPLE_PATH); });

  it('yields one result per row, all events, with the published type counts', () => {
    expect(first).toHaveLength(17_433);
    const events = okEvents(first);
    expect(events).toHaveLength(17_433);
    const counts: Record<string, number> = {};
    for (const e of events) counts[e.event_type] = (counts[e.event_type] ?? 0) + 1;
    expect(counts).toEqual({ product_view: 17_054, add_to_cart: 165, purchase: 214 });
    const validate = createEventValidator();
    expect(events.map(validate).filter((v) => !v.ok)).toEqual([]);
  });

  it('gives the same event ids on a second run, all distinct', async () => {
    const ids = okEvents(first).map((e) => e.event_id);
    expect(okEvents(await readAll(REES46_SAMPLE_PATH)).map((e) => e.event_id)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shifts the last event to now (first pass or given fileEnd), or the first event to now', async () => {
    const range = await rees46TimeRange(REES46_SAMPLE_PATH);
    expect(range).toEqual({ start: Date.UTC(2019, 9, 1, 0, 0, 0), end: Date.UTC(2019, 9, 1, 2, 50, 0) });
    const times = (results: ReplayResult[]) => okEvents(results).map((e) => Date.parse(e.occurred_at));
    const ended = times(await readAll(REES46_SAMPLE_PATH, { shiftTo: 'now-end', now: NOW }));
    expect(Math.max(...ended)).toBe(NOW);
    expect(Math.min(...ended)).toBe(NOW - (range!.end - range!.start));
    const given = times(await readAll(REES46_SAMPLE_PATH, { shiftTo: 'now-end', now: NOW, fileEnd: range!.end }));
    expect(given).toEqual(ended);
    const started = times(await readAll(REES46_SAMPLE_PATH, { shiftTo: 'now-start', now: NOW }));
    expect(started[0]).toBe(NOW);
  });
});
