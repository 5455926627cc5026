import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configTable } from '../scripts/config-table';
import { availableMemory, loadConfig } from './config';

describe('config', () => {
  it('finds the package\'s own rules by default, whatever the working directory; a set folder is taken relative to it', () => {
    const rulesDir = loadConfig({}).rulesDir;
    expect(path.isAbsolute(rulesDir)).toBe(true);
    expect(fs.existsSync(path.join(rulesDir, 'ruleset.json'))).toBe(true);
    expect(loadConfig({ DISTRIBUTARY_RULES_DIR: 'my-rules' }).rulesDir).toBe(path.resolve('my-rules'));
  });

  it('has sensible embedded defaults and is frozen', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ bus: 'local', liveStore: 'duckdb', ingestPort: 8080, apiPort: 8081, busFsync: true, lakeRollMs: 30_000 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093' }).kafkaBrokers).toEqual(['k1:9092', 'k2:9093']);
  });

  it.each([
    [{ DISTRIBUTARY_INGEST_PORT: 'eighty' }, /DISTRIBUTARY_INGEST_PORT="eighty" is invalid: .*number/],
    [{ DISTRIBUTARY_INGEST_PORT: '' }, /DISTRIBUTARY_INGEST_PORT="" is invalid: expected a decimal number/],
    [{ DISTRIBUTARY_INGEST_PORT: '0x50' }, /DISTRIBUTARY_INGEST_PORT="0x50" is invalid: expected a decimal number/],
    [{ DISTRIBUTARY_API_PORT: '70000' }, /DISTRIBUTARY_API_PORT="70000" is invalid: .*<=65535/],
    [{ DISTRIBUTARY_GENERATOR_RATE: '' }, /DISTRIBUTARY_GENERATOR_RATE="" is invalid: expected a decimal number/],
    [{ DISTRIBUTARY_GENERATOR_RATE: '-5' }, /DISTRIBUTARY_GENERATOR_RATE="-5" is invalid: .*>=0/],
    [{ DISTRIBUTARY_LAKE_ROLL_ROWS: '1e3' }, /DISTRIBUTARY_LAKE_ROLL_ROWS="1e3" is invalid: expected a decimal number/],
    [{ DISTRIBUTARY_BUS: 'kafka', KAFKA_BROKERS: 'kafka' }, /KAFKA_BROKERS="kafka" is invalid: expected comma-separated host:port pairs/],
    [{ DISTRIBUTARY_BUS: 'rabbit' }, /DISTRIBUTARY_BUS="rabbit" is invalid: .*"local"\|"kafka"/],
    [{ DISTRIBUTARY_PARTITIONS: '0' }, /DISTRIBUTARY_PARTITIONS="0" is invalid: .*>=1/],
    [{ CLICKHOUSE_URL: 'not a url' }, /CLICKHOUSE_URL="not a url" is invalid/],
    [{ CLICKHOUSE_DATABASE: 'x; DROP' }, /CLICKHOUSE_DATABASE="x; DROP" is invalid/],
    [{ DISTRIBUTARY_WRITE_KEYS: 'short' }, /DISTRIBUTARY_WRITE_KEYS has a key of 5 characters: each key needs at least 16/],
    [{ DISTRIBUTARY_BUS_FSYNC: 'yes' }, /DISTRIBUTARY_BUS_FSYNC="yes" is invalid/],
    [{ DISTRIBUTARY_DATADIR: '/tmp' }, /DISTRIBUTARY_DATADIR is not a known setting/],
    [{ DISTRIBUTARY_DUCKDB_MEMORY_MB: '64' }, /DISTRIBUTARY_DUCKDB_MEMORY_MB="64" is invalid: at least 128 MB/],
    [{ DISTRIBUTARY_DUCKDB_MEMORY_MB: '2GB' }, /DISTRIBUTARY_DUCKDB_MEMORY_MB="2GB" is invalid: expected `auto` or whole megabytes/],
  ])('fails start-up on %j naming the variable, value and rule', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('bounds each DuckDB database: a fifth of the machine by default, or the megabytes given', () => {
    expect(availableMemory()).toBeLessThanOrEqual(os.totalmem());
    expect(loadConfig({}).duckdbMemoryMb).toBe(Math.max(128, Math.floor(availableMemory() / 5 / 2 ** 20)));
    expect(loadConfig({ DISTRIBUTARY_DUCKDB_MEMORY_MB: '512' }).duckdbMemoryMb).toBe(512);
  });

  it('is documented in the README, generated from the same declarations', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
    expect(readme).toContain(configTable());
  });
});
