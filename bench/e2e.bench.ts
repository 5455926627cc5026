import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startAll } from '../cli/start';
import { topicNames } from '../stream/bus';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import type { ViewReader } from '../warehouse/live-store/view-results';
import { bodyTemplates, runLoad } from './lib/load';
import { percentile, report, resourceMeter, stats } from './lib/report';

const EVENTS_PER_BODY = 100;

/** The ingest ceiling: a bare Node handler that reads, parses and acknowledges the same bodies. */
async function bareServer() {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const events = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
      res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: events.length, rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function platform(extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-e2e-'));
  const config = loadConfig({
    DISTRIBUTARY_DATA_DIR: dir, DISTRIBUTARY_INGEST_PORT: '0', DISTRIBUTARY_API_PORT: '0', DISTRIBUTARY_GENERATOR_RATE: '0',
    DISTRIBUTARY_LAKE_ROLL_SECONDS: '5', DISTRIBUTARY_BATCH_CRON: '*/10 * * * * *', DISTRIBUTARY_LOG_LEVEL: 'warn',
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092', CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123', ...extraEnv,
  });
  const app = await startAll(config, createLogger('warn'), { print: () => undefined });
  return { ...app, dir, config };
}

/** Sum of lag over the platform's consumer groups (names carry DISTRIBUTARY_TOPIC_PREFIX, as in stream/workers.ts). */
async function lagOf(app: Awaited<ReturnType<typeof platform>>): Promise<number> {
  const prefix = app.config.topicPrefix;
  const topic = topicNames(prefix).raw;
  const ends = (await app.bus.endOffsets(topic)).reduce((a, b) => a + b, 0);
  let total = 0;
  for (const group of ['realtime', 'lake']) total += await app.bus.consumer({ group: `${prefix}${group}`, topic }).lag().catch(() => ends);
  return total;
}

/** Extra platform settings: fixed, or made afresh for each platform started (unique topic prefix / database per round). */
type BenchEnv = Record<string, string> | (() => Record<string, string>);
const envOf = (env: BenchEnv | undefined) => (typeof env === 'function' ? env() : env);

export async function e2eBench(opts: { seconds: number; rounds: number; env?: BenchEnv; name?: string; afterRound?: () => Promise<void> }) {
  const templates = bodyTemplates(400, EVENTS_PER_BODY);
  const concurrency = 16;
  const bare: number[] = [];
  const sustained: number[] = [];
  const ingestOnly: number[] = [];
  const lagsAtEnd: number[] = [];
  const drains: number[] = [];
  const httpP99: number[] = [];
  const costs: { cpu_seconds: number; peak_rss_mb: number }[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const b = await bareServer();
    const base = await runLoad({ url: b.url, key: 'x', seconds: Math.min(opts.seconds, 20), concurrency, templates, eventsPerBody: EVENTS_PER_BODY });
    await b.close();
    bare.push(base.accepted / base.seconds);

    const app = await platform(envOf(opts.env));
    const meter = resourceMeter();
    const load = await runLoad({ url: app.ingestUrl, key: app.key, seconds: opts.seconds, concurrency, templates, eventsPerBody: EVENTS_PER_BODY });
    const lagAtEnd = await lagOf(app);
    const t = Date.now();
    while ((await lagOf(app)) > 0 && Date.now() - t < 300_000) await new Promise((r) => setTimeout(r, 200));
    const drain = (Date.now() - t) / 1000;
    costs.push(meter());
    ingestOnly.push(load.accepted / load.seconds);
    sustained.push(load.accepted / (load.seconds + drain));
    lagsAtEnd.push(lagAtEnd);
    drains.push(drain);
    httpP99.push(load.p99);
    await app.stop();
    fs.rmSync(app.dir, { recursive: true, force: true });
    await opts.afterRound?.();
  }
  const s = stats(sustained);
  const results = {
    sustained_both_paths_events_per_sec: s, ingest_accept_events_per_sec: stats(ingestOnly), bare_handler_events_per_sec: stats(bare),
    ratio_sustained_to_bare: s.median / stats(bare).median, lag_at_end_of_load: lagsAtEnd, drain_seconds: drains, http_p99_ms: httpP99, cost: costs,
  };
  report(opts.name ?? 'e2e', { ...opts, concurrency, events_per_request: EVENTS_PER_BODY }, [
    { measure: 'sustained into both paths (accepted / (load + drain))', 'events/s median': Math.round(s.median), 'min–max': `${Math.round(s.min)}–${Math.round(s.max)}` },
    { measure: 'ingest accepted during load', 'events/s median': Math.round(stats(ingestOnly).median), 'min–max': `${Math.round(stats(ingestOnly).min)}–${Math.round(stats(ingestOnly).max)}` },
    { measure: 'bare Node handler (ceiling)', 'events/s median': Math.round(stats(bare).median), 'min–max': `${Math.round(stats(bare).min)}–${Math.round(stats(bare).max)}` },
    { measure: 'ratio sustained / bare', 'events/s median': results.ratio_sustained_to_bare.toFixed(2), 'min–max': '' },
    { measure: 'lag at end of load (messages, both groups)', 'events/s median': lagsAtEnd.join(' / '), 'min–max': `drain ${drains.map((d) => d.toFixed(1)).join(' / ')} s` },
    { measure: `HTTP p99 per request of ${EVENTS_PER_BODY}, ${concurrency} in flight`, 'events/s median': httpP99.map((p) => `${p.toFixed(0)} ms`).join(' / '), 'min–max': '' },
  ], results);
  return results;
}

/**
 * Accepted → visible in that user's features, at a steady offered load. Each probe polls the
 * store every `pollMs` (default 10; against a server store a coarser poll keeps the probes'
 * own queries from loading the store they measure).
 */
export async function latencyBench(opts: { seconds: number; rate: number; env?: BenchEnv; name?: string; pollMs?: number }) {
  const app = await platform(envOf(opts.env));
  const reader = app.store as unknown as ViewReader;
  const templates = bodyTemplates(200, EVENTS_PER_BODY, 11);
  const loadDone = runLoad({ url: app.ingestUrl, key: app.key, seconds: opts.seconds, concurrency: 64, rate: opts.rate, templates, eventsPerBody: EVENTS_PER_BODY });
  const latencies: number[] = [];
  const probes: Promise<void>[] = [];
  const end = Date.now() + opts.seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const user = `probe-${randomUUID()}`;
    const event = { event_id: randomUUID(), event_type: 'page_view', schema_version: 1, occurred_at: new Date().toISOString(), user_id: user, session_id: user, properties: {} };
    probes.push((async () => {
      const res = await fetch(`${app.ingestUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json' }, body: JSON.stringify([event]) });
      const accepted = performance.now();
      if (res.status !== 202) return;
      for (let tries = 0; tries < 2000; tries++) {
        const rows = await reader.query<{ n: number | string | bigint }>(`SELECT count(*) AS n FROM events WHERE user_key = '${user}'`);
        if (Number(rows[0]?.n ?? 0) > 0) {
          latencies.push(performance.now() - accepted);
          return;
        }
        await new Promise((r) => setTimeout(r, opts.pollMs ?? 10));
      }
    })());
    await new Promise((r) => setTimeout(r, 200));
  }
  const load = await loadDone;
  await Promise.all(probes);
  await app.stop();
  fs.rmSync(app.dir, { recursive: true, force: true });
  const results = { offered_rate: opts.rate, achieved_rate: load.accepted / load.seconds, probes_sent: probes.length, probes: latencies.length, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), max_ms: Math.max(...latencies), http_p99_ms: load.p99 };
  report(opts.name ?? 'latency', opts, [
    { measure: 'accepted → visible in features', p50: `${results.p50_ms.toFixed(0)} ms`, p99: `${results.p99_ms.toFixed(0)} ms`, max: `${results.max_ms.toFixed(0)} ms`, samples: latencies.length },
    { measure: `offered ${opts.rate}/s, achieved`, p50: `${Math.round(results.achieved_rate)}/s`, p99: `http p99 ${load.p99?.toFixed(0)} ms`, max: '', samples: load.requests },
  ], results);
  return results;
}
