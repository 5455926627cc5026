import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createEventValidator } from '../contract/validate';
import { silentLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { TOPICS } from '../stream/bus';
import { LocalLogBus } from '../stream/bus/local-log';
import { readTopic } from '../test/helpers/read-topic';
import { tempDir } from '../test/helpers/temp';
import { createIngestApp } from './app';

const KEY = 'test-write-key-0123456789';
const event = (over: Record<string, unknown> = {}) => ({
  event_id: randomUUID(), event_type: 'product_view', schema_version: 1, occurred_at: new Date().toISOString(),
  user_id: 'u-1', session_id: 's-1', properties: { product_id: 'p-1', price: 10, currency: 'USD' }, ...over,
});

async function setup() {
  const bus = new LocalLogBus({ dir: tempDir(), pollMs: 10 });
  for (const name of Object.values(TOPICS)) await bus.ensureTopic({ name, partitions: 2 });
  const app = createIngestApp({ bus, validator: createEventValidator(), writeKeys: [KEY], metrics: createMetrics(), logger: silentLogger() });
  return { bus, app, post: (body: unknown) => request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).send(body as object) };
}

describe('POST /v1/events', () => {
  it('accepts good events durably and reports, DLQs and keeps every bad one', async () => {
    const { bus, post } = await setup();
    const good = Array.from({ length: 998 }, () => event());
    const bad1 = event({ properties: { product_id: 'p', price: 'free' } });
    const bad2 = { hello: 'world' };
    const batch = [...good.slice(0, 500), bad1, ...good.slice(500), bad2];
    const res = await post(batch);
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(998);
    expect(res.body.rejected).toEqual([
      { index: 500, event_id: bad1.event_id, errors: ['/properties/price must be number'] },
      { index: 999, event_id: null, errors: [expect.stringContaining('event_type')] },
    ]);
    const raw = await readTopic(bus, TOPICS.raw);
    expect(new Set(raw.map((m) => (JSON.parse(m.value.toString()) as { event_id: string }).event_id))).toEqual(new Set(good.map((e) => e.event_id)));
    const dlq = (await readTopic(bus, TOPICS.dlq)).map((m) => JSON.parse(m.value.toString()));
    expect(dlq).toEqual(expect.arrayContaining([
      expect.objectContaining({ stage: 'ingest', reason: 'schema_invalid', event_id: bad1.event_id, payload: JSON.stringify(bad1) }),
      expect.objectContaining({ stage: 'ingest', reason: 'unknown_event_type', event_id: null, payload: JSON.stringify(bad2) }),
    ]));
    await bus.close();
  });

  it('takes a single event and the {batch} form, keyed by user so a user stays in one partition', async () => {
    const { bus, post } = await setup();
    expect((await post(event({ user_id: 'same' }))).body).toEqual({ accepted: 1, rejected: [] });
    expect((await post({ batch: [event({ user_id: 'same' }), event({ user_id: 'same' })] })).body.accepted).toBe(2);
    const raw = await readTopic(bus, TOPICS.raw);
    expect(new Set(raw.map((m) => m.partition)).size).toBe(1);
    await bus.close();
  });

  it('puts each event on the bus as the client sent it, not re-serialised', async () => {
    const { bus, app } = await setup();
    const send = (body: string) => request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').send(body);
    const [a, b, c] = [event({ user_id: 'same' }), event({ user_id: 'same' }), event({ user_id: 'same' })];
    const pretty = JSON.stringify(a, null, 2).replace('"price": 10', '"price": 10.50');
    expect((await send(`[\n  ${pretty} ,\t${JSON.stringify(b)}\n]`)).body).toEqual({ accepted: 2, rejected: [] });
    const alone = JSON.stringify(c, null, 1);
    expect((await send(`  ${alone}\n`)).body).toEqual({ accepted: 1, rejected: [] });
    // A repeated key: JSON.parse keeps the last, DuckDB's json_extract (the lake) the first, so
    // this one goes on the bus re-serialised, as validated.
    const twice = `[${JSON.stringify(c).replace('{', '{"user_id": "someone-else", ')}]`;
    expect((await send(twice)).body).toEqual({ accepted: 1, rejected: [] });
    const raw = await readTopic(bus, TOPICS.raw);
    expect(raw.map((m) => m.value.toString())).toEqual([pretty, JSON.stringify(b), alone, JSON.stringify((JSON.parse(twice) as unknown[])[0])]);
    await bus.close();
  });

  it('answers 400, 401 and 413 with clear errors', async () => {
    const { bus, app, post } = await setup();
    const malformed = await request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').send('{"event_id": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    expect((await request(app).post('/v1/events').send([event()])).status).toBe(401);
    expect((await request(app).post('/v1/events').set('Authorization', 'Bearer wrong-key-wrong-key').send([event()])).status).toBe(401);
    expect((await request(app).post('/v1/events').set('X-Write-Key', KEY).send([event()])).status).toBe(202);
    for (const scheme of ['bearer', 'BEARER']) {
      expect((await request(app).post('/v1/events').set('Authorization', `${scheme} ${KEY}`).send([event()])).status).toBe(202);
    }
    expect((await request(app).post('/v1/events').set('Authorization', `basic ${Buffer.from(`${KEY}:`).toString('base64')}`).send([event()])).status).toBe(202);
    const tooMany = await post(Array.from({ length: 1001 }, () => event()));
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.code).toBe('batch_too_large');
    const tooBig = await post([event({ properties: { product_id: 'p', blob: 'x'.repeat(1_100_000) } })]);
    expect(tooBig.status).toBe(413);
    // The key is checked first: without one, the size of the body is none of the caller's business.
    expect((await request(app).post('/v1/events').send([event({ properties: { product_id: 'p', blob: 'x'.repeat(1_100_000) } })])).status).toBe(401);
    expect((await post([])).status).toBe(400);
    for (const method of ['get', 'put', 'delete', 'patch'] as const) {
      const wrong = await request(app)[method]('/v1/events').set('Authorization', `Bearer ${KEY}`);
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('POST');
      expect(wrong.body.error.code).toBe('method_not_allowed');
    }
    expect((await readTopic(bus, TOPICS.raw))).toHaveLength(4);
    await bus.close();
  });

  it('answers a corrupt or unknown Content-Encoding with a 4xx JSON error, not a 500', async () => {
    const { bus, app } = await setup();
    const send = (encoding: string, body: Buffer) =>
      request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send(body);
    const corrupt = await send('gzip', Buffer.from('not gzip at all'));
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.code).toBe('bad_request');
    const unknown = await send('x-compress-9', Buffer.from(JSON.stringify(event())));
    expect(unknown.status).toBe(415);
    expect(unknown.body.error.code).toBe('encoding_unsupported');
    expect(await readTopic(bus, TOPICS.raw)).toHaveLength(0);
    await bus.close();
  });

  it('rejects a deeply nested event alone and keeps it (cut) in the DLQ, not a 500', async () => {
    const { bus, post, app } = await setup();
    const deep = `${'{"a":'.repeat(60_000)}1${'}'.repeat(60_000)}`;
    const body = `[${JSON.stringify(event())}, {"event_type":"page_view","x":${deep}}]`;
    const res = await request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, rejected: [{ index: 1, errors: [expect.stringContaining('levels deep')] }] });
    const dlq = (await readTopic(bus, TOPICS.dlq)).map((m) => JSON.parse(m.value.toString()) as { reason: string; payload: string });
    expect(dlq[0].reason).toBe('too_deep');
    expect(dlq[0].payload).toContain('[nested too deep]');
    expect((await post([event()])).status).toBe(202);
    await bus.close();
  });

  it('answers 503 with Retry-After, never 2xx, when the bus cannot append', async () => {
    const { bus, post } = await setup();
    await bus.close(); // a real bus that can no longer write
    const res = await post([event()]);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.error.code).toBe('bus_unavailable');
  });
});
