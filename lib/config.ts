import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { assetPath } from './package-root';

/**
 * Every setting the platform reads, parsed once from the environment and frozen.
 * A bad value fails start-up with the variable, the value and the rule it broke.
 * The README's configuration table is generated from these descriptions (see `describeConfig`).
 */
/** Decimal text only: coercing with Number() read "" as 0 (DISTRIBUTARY_INGEST_PORT= bound a random port) and took "0x50" or "1e3". */
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number').transform(Number);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => decimal.pipe(z.number().int().min(min).max(max));
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const SHARE_CHECKS = ['reject', 'late', 'duplicate', 'bot'] as const;
/** `reject=0.05,bot=0.3`: a check left out never alerts. */
const shareLimits = z.string()
  .regex(/^((reject|late|duplicate|bot)=(0(\.\d+)?|1(\.0+)?))?(,(reject|late|duplicate|bot)=(0(\.\d+)?|1(\.0+)?))*$/, 'expected comma-separated check=share pairs, checks reject|late|duplicate|bot, shares 0..1')
  .transform((v) => {
    const limits = Object.fromEntries(SHARE_CHECKS.map((c) => [c, 1])) as Record<(typeof SHARE_CHECKS)[number], number>;
    for (const pair of v.split(',').filter(Boolean)) {
      const [check, share] = pair.split('=') as [(typeof SHARE_CHECKS)[number], string];
      limits[check] = Number(share);
    }
    return limits;
  });

/** The memory this process may use: the machine's, or less where a cgroup (a container's limit) says so. */
export const availableMemory = () => Math.min(os.totalmem(), process.constrainedMemory?.() || Infinity);

/** `auto` (a fifth of the available memory) or whole megabytes; DuckDB cannot work in less than 128 MB. */
const memoryMb = z.string().regex(/^(auto|\d{1,9})$/, 'expected `auto` or whole megabytes')
  .transform((v) => (v === 'auto' ? Math.max(128, Math.floor(availableMemory() / 5 / 2 ** 20)) : Number(v)))
  .pipe(z.number().int().min(128, 'at least 128 MB: DuckDB needs room for one query'));

/** `host:port,host:port`: a broker without a port made kafkajs retry forever on port NaN instead of failing start-up. */
const brokers = z.string().regex(/^(\s*[^\s,]+:\d{1,5}\s*(,\s*[^\s,]+:\d{1,5}\s*)*)?$/, 'expected comma-separated host:port pairs');

const spec = {
  DISTRIBUTARY_DATA_DIR: { schema: z.string().min(1), default: './data', doc: 'Where the embedded bus log, live store, lake and datamart live.' },
  DISTRIBUTARY_BUS: { schema: z.enum(['local', 'kafka']), default: 'local', doc: 'Event bus: `local` (durable log on disk) or `kafka`.' },
  DISTRIBUTARY_LIVE_STORE: { schema: z.enum(['duckdb', 'clickhouse']), default: 'duckdb', doc: 'Live store: `duckdb` (embedded file) or `clickhouse`.' },
  DISTRIBUTARY_PARTITIONS: { schema: int(1, 1024), default: '4', doc: 'Partitions per topic when the platform creates its topics.' },
  DISTRIBUTARY_WRITE_KEYS: { schema: z.string(), default: '', doc: 'Comma-separated ingest write keys. Empty in `start` mode: a key is generated once and kept in the data dir.' },
  DISTRIBUTARY_INGEST_PORT: { schema: int(0, 65535), default: '8080', doc: 'Ingest HTTP port (POST /v1/events).' },
  DISTRIBUTARY_API_PORT: { schema: int(0, 65535), default: '8081', doc: 'API HTTP port (features, KPIs, metrics).' },
  DISTRIBUTARY_HOST: { schema: z.string().min(1), default: '127.0.0.1', doc: 'Address the HTTP servers bind to.' },
  DISTRIBUTARY_LOG_LEVEL: { schema: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), default: 'info', doc: 'pino log level.' },
  DISTRIBUTARY_BUS_FSYNC: { schema: bool, default: 'true', doc: 'Local log: fsync before acknowledging (group commit). `false` trades power-loss safety for speed; kill -9 stays safe.' },
  DISTRIBUTARY_BUS_SEGMENT_MB: { schema: int(1, 4096), default: '64', doc: 'Local log: segment file size before rolling.' },
  DISTRIBUTARY_BUS_RETENTION_HOURS: { schema: int(1), default: '168', doc: 'Local log: segments whose newest record is older than this are deleted.' },
  DISTRIBUTARY_LIVE_RETENTION_HOURS: { schema: int(1), default: '48', doc: 'Live store keeps this many hours of events (the lake keeps everything).' },
  DISTRIBUTARY_DEDUP_WINDOW_HOURS: { schema: int(1), default: '24', doc: 'Duplicate event_ids are dropped within this window (survives restarts).' },
  DISTRIBUTARY_LAKE_ROLL_ROWS: { schema: int(1), default: '200000', doc: 'Lake writer: roll a Parquet file after this many rows…' },
  DISTRIBUTARY_LAKE_ROLL_SECONDS: { schema: int(1), default: '30', doc: '…or when its oldest buffered row is this old.' },
  DISTRIBUTARY_BATCH_CRON: { schema: z.string().min(1), default: '*/30 * * * * *', doc: 'node-cron schedule of the datamart load in `start` mode.' },
  DISTRIBUTARY_GENERATOR_RATE: { schema: decimal.pipe(z.number().min(0).max(1_000_000)), default: '20', doc: 'Events/s of the demo generator in `start` mode (0 disables it).' },
  DISTRIBUTARY_RULES_DIR: { schema: z.string(), default: '', doc: 'Folder of the cleaning rules (`ruleset.json` + rule files + lists), versioned with the code; see rules/README.md. Empty: the package\'s own `rules/`, wherever the command runs from.' },
  DISTRIBUTARY_RULES_RELOAD_SECONDS: { schema: int(0, 3600), default: '5', doc: 'How often the real-time worker looks for changed rule files and reloads them (0: never). A broken set is logged and the old one kept.' },
  DISTRIBUTARY_QUALITY_THRESHOLD: { schema: decimal.pipe(z.number().min(0).max(1)), default: '0.5', doc: 'Events whose quality score (0..1, from their rule hits) ends below this go to the DLQ as `low_quality`.' },
  DISTRIBUTARY_LATE_EVENT_DAYS: { schema: int(1, 3650), default: '7', doc: 'Events up to this many days old are accepted and tagged `late_event`; older ones go to the DLQ as `too_late`.' },
  DISTRIBUTARY_QUALITY_ALERTS: { schema: shareLimits, default: 'reject=0.05,late=0.2,duplicate=0.05,bot=0.3', doc: 'Hourly data-quality thresholds (share of events): crossing one logs a warning and counts `distributary_quality_alerts_total`.' },
  DISTRIBUTARY_DUCKDB_MEMORY_MB: { schema: memoryMb, default: 'auto', doc: 'Memory the embedded live store and the datamart (DuckDB files) may each use before they evict to disk; `auto` is a fifth of the memory available (the machine\'s, or a container\'s limit) each. The lake\'s buffer is bounded by its roll size instead.' },
  DISTRIBUTARY_TOPIC_PREFIX: { schema: z.string().regex(/^[A-Za-z0-9._-]{0,100}$/), default: '', doc: 'Prefix of topic and consumer-group names, so several deployments can share one Kafka cluster.' },
  KAFKA_BROKERS: { schema: brokers, default: '127.0.0.1:19092', doc: 'Kafka bootstrap servers, comma-separated (bus=kafka).' },
  CLICKHOUSE_URL: { schema: z.string().url(), default: 'http://127.0.0.1:18123', doc: 'ClickHouse HTTP endpoint (live store=clickhouse).' },
  CLICKHOUSE_DATABASE: { schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), default: 'distributary', doc: 'ClickHouse database for the live store.' },
} as const;

/** The thresholds DISTRIBUTARY_QUALITY_ALERTS gives when unset (for callers built without a Config, like tests). */
export const DEFAULT_QUALITY_ALERTS: Readonly<Record<(typeof SHARE_CHECKS)[number], number>> = Object.freeze(shareLimits.parse(spec.DISTRIBUTARY_QUALITY_ALERTS.default));

type Spec = typeof spec;
type Raw = { [K in keyof Spec]: z.output<Spec[K]['schema']> };

export interface Config {
  dataDir: string;
  bus: 'local' | 'kafka';
  liveStore: 'duckdb' | 'clickhouse';
  partitions: number;
  writeKeys: string[];
  ingestPort: number;
  apiPort: number;
  host: string;
  logLevel: string;
  busFsync: boolean;
  busSegmentBytes: number;
  busRetentionMs: number;
  liveRetentionMs: number;
  dedupWindowMs: number;
  lakeRollRows: number;
  lakeRollMs: number;
  batchCron: string;
  generatorRate: number;
  topicPrefix: string;
  /** Memory limit of each embedded DuckDB database, in MB. */
  duckdbMemoryMb: number;
  rulesDir: string;
  rulesReloadMs: number;
  qualityThreshold: number;
  lateEventMs: number;
  qualityAlerts: Readonly<Record<(typeof SHARE_CHECKS)[number], number>>;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  clickhouseDatabase: string;
}

const HOUR = 3_600_000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  rejectUnknown(env);
  const raw = {} as Record<string, unknown>;
  for (const [name, s] of Object.entries(spec)) {
    const value = env[name] ?? s.default;
    const parsed = s.schema.safeParse(value);
    if (!parsed.success) {
      const rule = parsed.error.issues.map((i) => i.message).join('; ');
      throw new ConfigError(`${name}=${JSON.stringify(value)} is invalid: ${rule}`);
    }
    raw[name] = parsed.data;
  }
  const r = raw as Raw;
  const cfg: Config = {
    dataDir: path.resolve(r.DISTRIBUTARY_DATA_DIR),
    bus: r.DISTRIBUTARY_BUS,
    liveStore: r.DISTRIBUTARY_LIVE_STORE,
    partitions: r.DISTRIBUTARY_PARTITIONS,
    writeKeys: r.DISTRIBUTARY_WRITE_KEYS.split(',').map((k) => k.trim()).filter(Boolean),
    ingestPort: r.DISTRIBUTARY_INGEST_PORT,
    apiPort: r.DISTRIBUTARY_API_PORT,
    host: r.DISTRIBUTARY_HOST,
    logLevel: r.DISTRIBUTARY_LOG_LEVEL,
    busFsync: r.DISTRIBUTARY_BUS_FSYNC,
    busSegmentBytes: r.DISTRIBUTARY_BUS_SEGMENT_MB * 1024 * 1024,
    busRetentionMs: r.DISTRIBUTARY_BUS_RETENTION_HOURS * HOUR,
    liveRetentionMs: r.DISTRIBUTARY_LIVE_RETENTION_HOURS * HOUR,
    dedupWindowMs: r.DISTRIBUTARY_DEDUP_WINDOW_HOURS * HOUR,
    lakeRollRows: r.DISTRIBUTARY_LAKE_ROLL_ROWS,
    lakeRollMs: r.DISTRIBUTARY_LAKE_ROLL_SECONDS * 1000,
    batchCron: r.DISTRIBUTARY_BATCH_CRON,
    generatorRate: r.DISTRIBUTARY_GENERATOR_RATE,
    topicPrefix: r.DISTRIBUTARY_TOPIC_PREFIX,
    duckdbMemoryMb: r.DISTRIBUTARY_DUCKDB_MEMORY_MB,
    rulesDir: r.DISTRIBUTARY_RULES_DIR ? path.resolve(r.DISTRIBUTARY_RULES_DIR) : assetPath('rules'),
    rulesReloadMs: r.DISTRIBUTARY_RULES_RELOAD_SECONDS * 1000,
    qualityThreshold: r.DISTRIBUTARY_QUALITY_THRESHOLD,
    lateEventMs: r.DISTRIBUTARY_LATE_EVENT_DAYS * 24 * HOUR,
    qualityAlerts: Object.freeze(r.DISTRIBUTARY_QUALITY_ALERTS),
    kafkaBrokers: r.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    clickhouseUrl: r.CLICKHOUSE_URL,
    clickhouseDatabase: r.CLICKHOUSE_DATABASE,
  };
  for (const key of cfg.writeKeys) {
    if (key.length < 16) throw new ConfigError(`DISTRIBUTARY_WRITE_KEYS has a key of ${key.length} characters: each key needs at least 16`);
  }
  if (cfg.bus === 'kafka' && cfg.kafkaBrokers.length === 0) {
    throw new ConfigError('KAFKA_BROKERS="" is invalid: DISTRIBUTARY_BUS=kafka needs at least one broker');
  }
  return Object.freeze(cfg);
}

/** A typo in a DISTRIBUTARY_* variable would otherwise be silently ignored. */
function rejectUnknown(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (name.startsWith('DISTRIBUTARY_') && !(name in spec)) {
      throw new ConfigError(`${name} is not a known setting: known ones are ${Object.keys(spec).filter((k) => k.startsWith('DISTRIBUTARY_')).join(', ')}`);
    }
  }
}

/** Rows for the README's configuration table. */
export function describeConfig(): { name: string; default: string; doc: string }[] {
  return Object.entries(spec).map(([name, s]) => ({ name, default: s.default, doc: s.doc }));
}
