import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGenerator } from '../generator/generator';
import { detectEventFileFormat, readEvents } from './read-events';
import { datasetAvailable, REES46_SAMPLE_PATH, type ReplayResult } from './replay-common';

async function readAll(file: string, options: Parameters<typeof readEvents>[1] = {}): Promise<ReplayResult[]> {
  const out: ReplayResult[] = [];
  for await (const r of readEvents(file, options)) out.push(r);
  return out;
}

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'read-events-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => { const f = path.join(dir, name); fs.writeFileSync(f, text); return f; };

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
let clock = T0;
const events = createGenerator({ seed: 'ndjson', now: () => (clock += 1000) }).batch(50);

describe('readEvents', () => {
  it('detects the format by extension, else by the first line', async () => {
    const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
    expect(await detectEventFileFormat(write('a.ndjson', ndjson))).toBe('ndjson');
    expect(await detectEventFileFormat(write('a.jsonl', ndjson))).toBe('ndjson');
    expect(await detectEventFileFormat(write('a.txt', `\n${ndjson}`))).toBe('ndjson');
    expect(await detectEventFileFormat(write('b.csv', 'anything'))).toBe('rees46-csv');
    expect(await detectEventFileFormat(write('b.dump', 'event_time,event_type\n'))).toBe('rees46-csv');
  });

  it('round-trips platform NDJSON and reports bad lines by number', async () => {
    const lines = [JSON.stringify(events[0]), '{not json', '', JSON.stringify({ ...events[1], session_id: undefined }), JSON.stringify(events[2])];
    const results = await readAll(write('mixed.ndjson', lines.join('\r\n')));
    expect(results.map((r) => (r.ok ? r.line : `${r.line}: ${r.reason.split(':')[0]}`))).toEqual([1, '2: invalid JSON', '4: schema_invalid', 5]);
    expect(results[0]).toEqual({ ok: true, line: 1, event: events[0] });
    expect(results[2]).toMatchObject({ raw: lines[3] });
    expect((results[2] as { reason: string }).reason).toContain('session_id');
  });

  it('shifts NDJSON times like CSV: last event at now, or first event at now', async () => {
    const file = write('shift.jsonl', events.map((e) => JSON.stringify(e)).join('\n'));
    const now = Date.parse('2030-05-05T05:05:05.000Z');
    const times = async (shiftTo: 'now-end' | 'now-start') =>
      (await readAll(file, { shiftTo, now })).flatMap((r) => (r.ok ? [Date.parse(r.event.occurred_at)] : []));
    const ended = await times('now-end');
    expect(ended).toHaveLength(50);
    expect(Math.max(...ended)).toBe(now);
    expect(ended[1] - ended[0]).toBe(1000);
    expect((await times('now-start'))[0]).toBe(now);
  });
});

const present = datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' });

(present ? it : it.skip)('reads the REES46 sample through the same entry point', async () => {
  const results = await readAll(REES46_SAMPLE_PATH);
  expect(results).toHaveLength(17_433);
  expect(results.every((r) => r.ok)).toBe(true);
});
