import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBus, openLiveStore, paths } from '../cli/adapters';
import { startIngestThread } from '../ingest/ingest-thread';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { topicNames } from '../stream/bus';
import { startLakeWorker, startRealtimeWorker, type Worker } from '../stream/workers';
import { bodyTemplates, runLoad } from './lib/load';
import { report, stats } from './lib/report';

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const CLOCK_TICKS = 100;

/** CPU seconds per thread of this process from /proc (Linux): the main thread, and the rest. */
function threadCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / CLOCK_TICKS);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

const PLANS: Record<string, ('realtime' | 'lake')[]> = { ingest: [], ingest_realtime: ['realtime'], ingest_lake: ['lake'], both_paths: ['realtime', 'lake'] };

/**
 * Where the CPU of the embedded platform goes, per accepted event: ingest alone (HTTP,
 * validation, the durable append), then with the real-time path, the lake path, and both.
 * CPU time, unlike throughput, is barely moved by other load on the machine; the split is
 * the main thread (bus, stream steps, DuckDB calls), the ingest thread, and everything else
 * (DuckDB's and libuv's threads: CSV parsing, inserts, Parquet, fsync). Plans alternate;
 * BENCH_COST_PLANS=both_paths,ingest runs only those (to profile one with --cpu-prof).
 */
export async function costBench(opts: { seconds: number; rounds: number; plans?: string[] }) {
  const templates = bodyTemplates(400, 100);
  const perPlan: Record<string, { total: number[]; main: number[]; ingest: number[]; native: number[]; rate: number[] }> = {};
  for (let round = 0; round < opts.rounds; round++) {
    for (const [plan, parts] of Object.entries(PLANS).filter(([name]) => !opts.plans || opts.plans.includes(name))) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cost-'));
      const config = loadConfig({ DISTRIBUTARY_DATA_DIR: dir, DISTRIBUTARY_INGEST_PORT: '0', DISTRIBUTARY_LOG_LEVEL: 'warn', DISTRIBUTARY_LAKE_ROLL_SECONDS: '5' });
      const logger = createLogger('warn');
      const metrics = createMetrics();
      const bus = await openBus(config, logger);
      const store = await openLiveStore(config, logger);
      const workers: Worker[] = [];
      if (parts.includes('realtime')) workers.push(await startRealtimeWorker({ config, bus, metrics, logger, store }));
      if (parts.includes('lake')) workers.push(await startLakeWorker({ config, bus, metrics, logger, lakeRoot: paths(config).lake }));
      const existing = new Set(threadCpu().keys());
      const ingest = await startIngestThread({ config, bus, topics: topicNames(''), writeKeys: ['bench'], metrics, logger });
      // Measured from here: the ingest thread has loaded its modules.
      const before = threadCpu();
      const ingestTid = [...before.keys()].filter((tid) => !existing.has(tid)).sort((a, b) => before.get(b)! - before.get(a)!)[0];
      const cpu0 = process.cpuUsage();
      const load = await runLoad({ url: ingest.url, key: 'bench', seconds: opts.seconds, concurrency: 16, templates, eventsPerBody: 100 });
      const t = Date.now();
      while (Date.now() - t < 300_000) {
        let lag = 0;
        for (const w of workers) lag += await w.consumer.lag();
        if (lag === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const drain = (Date.now() - t) / 1000;
      const after = threadCpu();
      const cpu = process.cpuUsage(cpu0);
      const total = (cpu.user + cpu.system) / 1e6;
      const used = (tid: number) => (after.get(tid) ?? 0) - (before.get(tid) ?? 0);
      const main = used(process.pid);
      const ingestThread = used(ingestTid);
      // The load client is a worker thread of this process too: it is not the platform's cost.
      const loadClient = [...after.keys()].filter((tid) => !before.has(tid)).reduce((sum, tid) => sum + (after.get(tid) ?? 0), 0);
      const n = load.accepted;
      const us = (s: number) => (s * 1e6) / n;
      const p = (perPlan[plan] ??= { total: [], main: [], ingest: [], native: [], rate: [] });
      p.total.push(us(total - loadClient));
      p.main.push(us(main));
      p.ingest.push(us(ingestThread));
      p.native.push(us(total - loadClient - main - ingestThread));
      p.rate.push(n / (load.seconds + drain));
      await ingest.close();
      for (const w of workers) await w.stop();
      await store.close();
      await bus.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const med = (v: number[]) => stats(v).median;
  const rows = Object.entries(perPlan).map(([plan, v]) => ({
    plan, 'CPU µs/event': med(v.total).toFixed(1), 'main thread': med(v.main).toFixed(1), 'ingest thread': med(v.ingest).toFixed(1), 'other threads (DuckDB, libuv, GC)': med(v.native).toFixed(1),
    'ceiling on 2 cores (events/s)': Math.round((2 * 1e6) / med(v.total)), 'achieved (events/s)': Math.round(med(v.rate)),
  }));
  const results = Object.fromEntries(Object.entries(perPlan).map(([plan, v]) => [plan, { cpu_us_per_event: stats(v.total), main_us: stats(v.main), ingest_thread_us: stats(v.ingest), native_us: stats(v.native), events_per_sec: stats(v.rate) }]));
  report('cost', { ...opts, cores: os.cpus().length }, rows, results);
  return results;
}
