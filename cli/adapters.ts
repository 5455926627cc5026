import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../lib/config';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { topicNames, type Bus } from '../stream/bus';
import { LocalLogBus } from '../stream/bus/local-log';
import type { LiveStore } from '../warehouse/live-store';
import { DuckDbLiveStore } from '../warehouse/live-store/duckdb-live-store';

/** Where the embedded adapters keep their files inside the data directory. */
export const paths = (c: Config) => ({
  bus: path.join(c.dataDir, 'bus'),
  live: path.join(c.dataDir, 'live.duckdb'),
  lake: path.join(c.dataDir, 'lake'),
  datamart: path.join(c.dataDir, 'datamart.duckdb'),
  writeKey: path.join(c.dataDir, 'write-key'),
});

/**
 * Creates the data directory and proves it takes files, or fails start-up naming the setting.
 * Directories are made one level at a time from the nearest existing ancestor: Node's
 * recursive mkdirSync never returns under /proc (mkdir there says ENOENT, the parent exists).
 */
export function prepareDataDir(c: Config): void {
  const dir = c.dataDir;
  const fail = (why: string): never => {
    throw new ConfigError(`DISTRIBUTARY_DATA_DIR=${JSON.stringify(dir)} is unusable: ${why}; it must be a directory this process can create files in`);
  };
  const missing: string[] = [];
  let at = dir;
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  try {
    for (const d of missing) fs.mkdirSync(d);
    if (!fs.statSync(dir).isDirectory()) fail('it is not a directory');
    const probe = path.join(dir, `.probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail((err as Error).message);
  }
}

/** Builds the configured bus. `readOnly` opens the local log without the writer lock. */
export async function openBus(c: Config, logger: Logger, opts: { readOnly?: boolean } = {}): Promise<Bus> {
  let bus: Bus;
  if (c.bus === 'kafka') {
    const { KafkaBus } = await import('../stream/bus/kafka');
    bus = new KafkaBus({ brokers: c.kafkaBrokers, logger });
  } else {
    prepareDataDir(c);
    bus = new LocalLogBus({ dir: paths(c).bus, fsync: c.busFsync, segmentBytes: c.busSegmentBytes, retentionMs: c.busRetentionMs, readOnly: opts.readOnly });
  }
  if (!opts.readOnly) {
    for (const name of Object.values(topicNames(c.topicPrefix))) await bus.ensureTopic({ name, partitions: c.partitions });
  }
  return bus;
}

export async function openLiveStore(c: Config, logger: Logger): Promise<LiveStore> {
  let store: LiveStore;
  if (c.liveStore === 'clickhouse') {
    const { ClickHouseLiveStore } = await import('../warehouse/live-store/clickhouse-live-store');
    store = await ClickHouseLiveStore.open({ url: c.clickhouseUrl, database: c.clickhouseDatabase, logger });
  } else {
    prepareDataDir(c);
    store = await DuckDbLiveStore.open(paths(c).live, { memoryMb: c.duckdbMemoryMb });
  }
  await store.migrate();
  return store;
}

/** The embedded DuckDB live store and local log belong to one process; say so instead of failing later. */
export function requireShareable(c: Config, what: string, needs: ('bus' | 'store')[]): void {
  if (needs.includes('bus') && c.bus === 'local') {
    throw new ConfigError(`DISTRIBUTARY_BUS=local cannot run \`${what}\` as its own process: the local log has one writer process. Run \`distributary start\`, or set DISTRIBUTARY_BUS=kafka`);
  }
  if (needs.includes('store') && c.liveStore === 'duckdb') {
    throw new ConfigError(`DISTRIBUTARY_LIVE_STORE=duckdb cannot run \`${what}\` as its own process: the DuckDB file belongs to the process that writes it. Run \`distributary start\`, or set DISTRIBUTARY_LIVE_STORE=clickhouse`);
  }
}

/** Write keys from the environment, or (embedded mode) one generated once and kept in the data dir. */
export function writeKeys(c: Config, generateIfMissing: boolean): string[] {
  if (c.writeKeys.length > 0) return c.writeKeys;
  const file = paths(c).writeKey;
  if (fs.existsSync(file)) return [fs.readFileSync(file, 'utf8').trim()];
  if (!generateIfMissing) throw new ConfigError('DISTRIBUTARY_WRITE_KEYS="" is invalid: the ingest server needs at least one write key (16+ characters)');
  const key = `dk_${require('node:crypto').randomBytes(18).toString('base64url')}`;
  prepareDataDir(c);
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return [key];
}
