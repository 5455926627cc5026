import { Command, InvalidArgumentError } from 'commander';
import { runApi } from '../api/main';
import { runBatch } from '../batch/main';
import { createIngestClient } from '../ingest/client';
import { concurrencyFor, createGenerator } from '../ingest/generator/generator';
import { runPaced } from '../ingest/generator/pace';
import { runIngest } from '../ingest/main';
import { loadConfig, type Config } from '../lib/config';
import { ConfigError } from '../lib/errors';
import { createLogger, type Logger } from '../lib/logger';
import { onShutdown } from '../lib/shutdown';
import { runStream } from '../stream/main';
import { Datamart } from '../warehouse/datamart';
import { openLiveStore, paths, prepareDataDir, writeKeys } from './adapters';
import { replayDlq } from './dlq';
import { replayFile } from './replay';
import { rulesTest } from './rules';
import { startAll } from './start';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};

/** Reads config once; a bad value ends the process with the variable, value and rule. */
function boot(): { config: Config; logger: Logger } {
  try {
    const config = loadConfig();
    return { config, logger: createLogger(config.logLevel) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`distributary: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

const ingestTarget = (config: Config, o: { url?: string; key?: string }) => ({
  url: o.url ?? `http://${config.host}:${config.ingestPort}`,
  key: o.key ?? writeKeys(config, false)[0],
});

export function buildProgram(): Command {
  const program = new Command('distributary').description('Storefront events → live features and KPIs (real-time) and a Parquet lake + DuckDB datamart (offline).');

  program.command('start').description('everything in one process, embedded (no servers), with a demo generator').action(async () => {
    const { config, logger } = boot();
    const running = await startAll(config, logger);
    onShutdown(logger, running.stop);
  });

  program.command('ingest').description('the ingest HTTP server (POST /v1/events → bus)').action(async () => {
    const { config, logger } = boot();
    onShutdown(logger, (await runIngest(config, logger)).stop);
  });

  const stream = program.command('stream').description('a stream worker');
  for (const path of ['realtime', 'lake'] as const) {
    stream.command(path).description(path === 'realtime' ? 'events.raw → validate → clean → dedup → live store' : 'events.raw → Parquet lake')
      .option('--metrics-port <port>', 'serve /metrics and /healthz on this port', Number)
      .action(async (o: { metricsPort?: number }) => {
        const { config, logger } = boot();
        onShutdown(logger, (await runStream(path, config, logger, o.metricsPort)).stop);
      });
  }

  program.command('batch').description('load new lake files into the datamart (once, or --schedule with node-cron)')
    .option('--schedule', 'keep running and load on DISTRIBUTARY_BATCH_CRON')
    .action(async (o: { schedule?: boolean }) => {
      const { config, logger } = boot();
      const run = await runBatch(config, logger, { schedule: Boolean(o.schedule) });
      if (run.kind === 'scheduled') onShutdown(logger, run.stop);
      else process.stdout.write(`${JSON.stringify(run.report)}\n`);
    });

  program.command('api').description('the read API (features, KPIs, trending, metrics)').action(async () => {
    const { config, logger } = boot();
    onShutdown(logger, (await runApi(config, logger)).stop);
  });

  program.command('replay <file>').description('replay a REES46 CSV or NDJSON file through ingest, shifted to the present')
    .option('--url <url>', 'ingest base URL (default: this config’s ingest port)')
    .option('--key <key>', 'write key (default: DISTRIBUTARY_WRITE_KEYS or the data dir’s key)')
    .option('--format <format>', 'rees46-csv | ndjson (default: detected)')
    .option('--shift <mode>', 'now-end (last event lands now) | now-start | none', 'now-end')
    .option('--batch <n>', 'events per request (≤ 1000)', positive, 500)
    .action(async (file: string, o: { url?: string; key?: string; format?: 'rees46-csv' | 'ndjson'; shift: 'now-end' | 'now-start' | 'none'; batch: number }) => {
      const { config, logger } = boot();
      const totals = await replayFile(file, { ...ingestTarget(config, o), format: o.format, shift: o.shift, batchSize: Math.min(1000, o.batch) }, logger);
      process.stdout.write(`${JSON.stringify(totals)}\n`);
    });

  program.command('generate').description('post realistic generated events (REES46-shaped) at a steady rate')
    .requiredOption('--rate <n>', 'events per second', positive)
    .option('--duration <seconds>', 'stop after this long (default: until Ctrl-C)', positive)
    .option('--url <url>').option('--key <key>')
    .option('--seed <seed>', 'generator seed', String(Date.now()))
    .action(async (o: { rate: number; duration?: number; url?: string; key?: string; seed: string }) => {
      const { config, logger } = boot();
      const target = ingestTarget(config, o);
      const send = createIngestClient(target);
      const gen = createGenerator({ seed: o.seed, concurrency: concurrencyFor(o.rate) });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      if (o.duration) setTimeout(() => abort.abort(), o.duration * 1000).unref();
      const result = await runPaced({ rate: o.rate, batchSize: Math.max(1, Math.min(1000, Math.round(o.rate / 10))), produce: (n) => gen.batch(n), send: async (e) => void (await send(e)), signal: abort.signal, onError: (err) => logger.warn({ err }, 'batch failed') });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });

  const rules = program.command('rules').description('the cleaning rules (DISTRIBUTARY_RULES_DIR)');
  rules.command('test <dir>').description('replay events.raw through a candidate rules folder without writing; print fate changes per rule, with samples')
    .requiredOption('--from <position>', 'earliest | latest | an offset | a duration ago (90m, 2h, 7d) | a date-time')
    .option('--limit <n>', 'stop after this many events', positive)
    .option('--samples <n>', 'sample event ids per change', positive, 3)
    .option('--json', 'print the report as JSON')
    .action(async (dir: string, o: { from: string; limit?: number; samples: number; json?: boolean }) => {
      const { config, logger } = boot();
      const r = await rulesTest(dir, o, { config, logger });
      process.stdout.write(`${o.json ? JSON.stringify({ versions: r.versions, ...r.report }) : r.text}\n`);
    });

  const dlqCommand = program.command('dlq').description('the dead-letter queue (events.dlq, and the dlq table of the live store: GET /v1/dlq)');
  dlqCommand.command('replay').description('after a rule fix, re-send DLQ events that now pass the contract and the rules through ingest (idempotent by event_id)')
    .requiredOption('--since <position>', 'a duration ago (90m, 2h, 7d), a date-time, earliest, or an offset')
    .option('--reason <reason>', 'only DLQ records with this reason').option('--rule <rule>', 'only DLQ records of this rule')
    .option('--dry-run', 'count what would be re-sent, send nothing')
    .option('--url <url>').option('--key <key>')
    .option('--batch <n>', 'events per request (≤ 1000)', positive, 500)
    .action(async (o: { since: string; reason?: string; rule?: string; dryRun?: boolean; url?: string; key?: string; batch: number }) => {
      const { config, logger } = boot();
      const send = createIngestClient(ingestTarget(config, o));
      const totals = await replayDlq({ ...o, batchSize: Math.min(1000, o.batch) }, { config, logger, send });
      process.stdout.write(`${JSON.stringify(totals)}\n`);
    });

  program.command('migrate').description('apply live-store (DuckDB or ClickHouse) and datamart migrations').action(async () => {
    const { config, logger } = boot();
    const store = await openLiveStore(config, logger);
    await store.close();
    if (config.liveStore === 'duckdb' || config.bus === 'local') {
      prepareDataDir(config);
      (await Datamart.open(paths(config).datamart, { memoryMb: config.duckdbMemoryMb })).close();
    }
    logger.info({ liveStore: config.liveStore }, 'migrations applied');
  });

  return program;
}

/** Runs the command line; a configuration error exits 2, any other failure 1, each with one line on stderr. */
export function run(argv: string[]): void {
  buildProgram().parseAsync(argv).catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`distributary: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`distributary: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

if (require.main === module) run(process.argv);
