import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Median and spread of repeated rounds; figures are quoted as medians and ratios. */
export function stats(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: mid, min: s[0], max: s.at(-1)!, rounds: s.length };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export function machine() {
  return { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memory_gib: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

/** Prints a table and writes bench/results/<name>-<timestamp>.json. */
export function report(name: string, params: object, rows: Record<string, string | number>[], results: object): string {
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ');
  process.stdout.write(`\n== ${name}\n${line(cols)}\n${line(width.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => String(r[c] ?? '')))}\n`);
  const dir = path.resolve(__dirname, '../results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), machine: machine(), params, results }, null, 2));
  process.stdout.write(`results: ${path.relative(process.cwd(), file)}\n`);
  return file;
}

/** CPU seconds and peak RSS of this process between two calls. */
export function resourceMeter() {
  const start = process.cpuUsage();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200).unref();
  return () => {
    clearInterval(timer);
    const cpu = process.cpuUsage(start);
    return { cpu_seconds: (cpu.user + cpu.system) / 1e6, peak_rss_mb: Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20) };
  };
}
