import { createClient } from '@clickhouse/client';
import { clickhouseUrl } from '../../test/integration';
import { ClickHouseLiveStore, type ClickHouseLiveStoreOptions } from './clickhouse-live-store';
import { ROLLUPS } from './clickhouse-rollups';

/**
 * Test helpers for the ClickHouse live store: a fresh, migrated database per store (unique name),
 * dropped again by dropTestDatabases(), and a dump of every table's content for comparisons.
 */
const created: string[] = [];
let counter = 0;

export function testDatabaseName(): string {
  return `distributary_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

export async function openTestStore(options: Partial<ClickHouseLiveStoreOptions> = {}): Promise<ClickHouseLiveStore> {
  const database = options.database ?? testDatabaseName();
  if (!created.includes(database)) created.push(database);
  const store = await ClickHouseLiveStore.open({ url: clickhouseUrl(), ...options, database });
  await store.migrate();
  return store;
}

export async function dropTestDatabases(): Promise<void> {
  if (created.length === 0) return;
  const admin = createClient({ url: clickhouseUrl(), database: 'system' });
  try {
    for (const db of created.splice(0)) await admin.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
  } finally {
    await admin.close();
  }
}

/** Runs a statement (DDL) in a database, outside any store. */
export async function command(database: string, sql: string): Promise<void> {
  const client = createClient({ url: clickhouseUrl(), database });
  try {
    await client.command({ query: sql });
  } finally {
    await client.close();
  }
}

/**
 * Everything a store holds, merged and in a fixed order: the base table, its time-ordered copy,
 * every rollup finalized per key, the landed offsets and the watermarks. Two stores given the same
 * events must produce equal snapshots, however often batches were redelivered.
 */
export async function snapshot(store: ClickHouseLiveStore): Promise<Record<string, unknown[]>> {
  // Float sums depend on the order rows were merged in: compare them to a millionth.
  const round = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v);
  const q = async (sql: string) => (await store.query<Record<string, unknown>>(sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])));
  const out: Record<string, unknown[]> = {
    events: await q('SELECT topic, bus_partition, bus_offset, event_id, occurred_ms, user_key, event_type FROM events ORDER BY topic, bus_partition, bus_offset'),
    events_by_time: await q('SELECT count() AS n, sum(occurred_ms) AS t, uniqExact(user_key) AS users FROM events_by_time'),
    sink_landed: await q('SELECT topic, bus_partition, count() AS n, uniqExact(bus_offset) AS offsets FROM sink_landed GROUP BY topic, bus_partition ORDER BY topic, bus_partition'),
    sink_offsets: await q('SELECT topic, bus_partition, max(next_offset) AS next FROM sink_offsets GROUP BY topic, bus_partition ORDER BY topic, bus_partition'),
  };
  for (const r of ROLLUPS) {
    const keys = r.keys.map((k) => k.name).join(', ');
    out[r.table] = await q(`SELECT ${keys}, ${r.measures.map((m) => `${m.merge} AS ${m.name}`).join(', ')} FROM ${r.table} GROUP BY ${keys} ORDER BY ${keys}`);
  }
  return out;
}
