import { e2eBench, latencyBench } from './e2e.bench';
import { parquetBench } from './parquet.bench';

/** `npm run bench [-- name ...]`: parquet, e2e, latency (all by default). BENCH_SMOKE=1 for a quick run. */
async function main() {
  const smoke = process.env.BENCH_SMOKE === '1';
  const wanted = process.argv.slice(2);
  const run = (name: string) => wanted.length === 0 || wanted.includes(name);
  if (run('parquet')) await parquetBench({ rows: smoke ? 20_000 : 200_000, rounds: smoke ? 1 : 3 });
  if (run('e2e')) await e2eBench({ seconds: smoke ? 5 : 60, rounds: smoke ? 1 : 2 });
  if (run('latency')) await latencyBench({ seconds: smoke ? 5 : 60, rate: 5000 });
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
