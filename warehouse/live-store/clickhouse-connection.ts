import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../../lib/errors';
import type { ClickHouseLiveStoreOptions } from './clickhouse-live-store';

/**
 * The ClickHouse live store's connections and its three kinds of request (read rows, run a
 * statement, insert rows), each turning a client failure into a retriable StoreError that keeps
 * the client's error as its cause.
 */

/** Long requests (big inserts, retention) report progress so that idle connections are not cut. */
export const connect = (o: ClickHouseLiveStoreOptions, database: string): ClickHouseClient =>
  createClient({
    url: o.url,
    database,
    request_timeout: o.requestTimeoutMs ?? 300_000,
    clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
  });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a SELECT and returns its rows (JSONEachRow: 64-bit integers arrive as strings). */
export async function readRows<T>(client: ClickHouseClient, sql: string): Promise<T[]> {
  try {
    const rs = await client.query({ query: sql, format: 'JSONEachRow' });
    return await rs.json<T>();
  } catch (err) {
    throw new StoreError('ClickHouse live store query failed', true, { cause: err });
  }
}

/** Runs a statement that returns no rows (DDL, ALTER); the error names its first line. */
export async function runCommand(client: ClickHouseClient, sql: string): Promise<void> {
  try {
    await client.command({ query: sql });
  } catch (err) {
    throw new StoreError(`ClickHouse live store command failed: ${sql.split('\n')[0].slice(0, 120)}`, true, { cause: err });
  }
}

/** Inserts rows into a table in one JSONEachRow request. */
export async function insertRows(client: ClickHouseClient, table: string, values: Record<string, unknown>[]): Promise<void> {
  try {
    await client.insert({ table, values, format: 'JSONEachRow' });
  } catch (err) {
    throw new StoreError(`ClickHouse live store insert into ${table} failed`, true, { cause: err });
  }
}
