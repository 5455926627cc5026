import { costBench } from './cost.bench';
import { e2eBench, latencyBench } from './e2e.bench';
import { floorBench } from './floor.bench';
import { kafkaEngineBench } from './clickhouse-kafka-engine.bench';
import { kafkaClickhouseBenchInChild } from './kafka-clickhouse.bench';
import { parquetBench } from './parquet.bench';
import { rulesBench } from './rules.bench';

/**
 * `npm run bench [-- name ...]`: parquet, e2e, rules, latency, cost, floor (all by default). BENCH_SMOKE=1 for a quick run.
 * Only when named, because they need Kafka and ClickHouse running (scripts/services.sh up):
 * kafka-clickhouse (e2e + latency in Kafka + ClickHouse mode), kafka-engine (our realtime worker vs
 * ClickHouse's Kafka engine).
 */
async function main() {
  const smoke = process.env.BENCH_SMOKE === '1';
  const wanted = process.argv.slice(2);
  const run = (name: string) => wanted.length === 0 || wanted.includes(name);
  if (run('parquet')) await parquetBench({ rows: smoke ? 20_000 : 200_000, rounds: smoke ? 1 : 3 });
  if (run('e2e')) await e2eBench({ seconds: smoke ? 5 : 60, rounds: smoke ? 1 : 2 });
  if (run('rules')) await rulesBench({ events: smoke ? 20_000 : 200_000, rounds: smoke ? 2 : 5 });
  if (run('latency')) await latencyBench({ seconds: smoke ? 5 : 60, rate: 5000 });
  if (run('cost')) await costBench({ seconds: smoke ? 3 : 20, rounds: smoke ? 1 : 2, plans: process.env.BENCH_COST_PLANS?.split(',') });
  if (run('floor')) await floorBench({ events: smoke ? 10_000 : 100_000, rounds: smoke ? 1 : 3 });
  if (wanted.includes('kafka-clickhouse')) await kafkaClickhouseBenchInChild(smoke); // a child with the full tsx loader: see there
  if (wanted.includes('kafka-engine')) await kafkaEngineBench({ events: smoke ? 20_000 : 200_000, rounds: smoke ? 1 : 3, warmup: !smoke });
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
