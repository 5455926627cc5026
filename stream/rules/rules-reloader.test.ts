import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { watchRuleSet } from './rules-reloader';
import { copyOfRules, editJson } from './rules.fixture';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { lines, logger };
}
const until = async (probe: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !probe() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
  return probe();
};

describe('watchRuleSet', () => {
  it('reloads a changed folder without a restart, and keeps the old set when the new one is broken', async () => {
    const dir = copyOfRules();
    const { lines, logger } = capture();
    const registry = new Registry();
    const watch = watchRuleSet({ dir, params: {}, intervalMs: 20, logger, registry });
    try {
      const first = watch.current().version;
      editJson(path.join(dir, 'ruleset.json'), (j) => (j.version = '2026.11.2'));
      expect(await until(() => watch.current().version.startsWith('2026.11.2+'))).toBe(true);
      expect(lines.map((l) => l.msg)).toContain('rule set reloaded');

      fs.writeFileSync(path.join(dir, 'bots.json'), '{ "rules": [');
      expect(await until(() => lines.some((l) => l.level === 50))).toBe(true);
      expect(watch.current().version).not.toBe(first);
      expect(watch.current().version.startsWith('2026.11.2+')).toBe(true);
      expect(await registry.getSingleMetricAsString('distributary_rules_reloads_total')).toMatch(/outcome="failed"} 1/);
    } finally {
      watch.stop();
    }
  });

  it('refuses to start on a broken folder', () => {
    const dir = copyOfRules();
    fs.rmSync(path.join(dir, 'ruleset.json'));
    expect(() => watchRuleSet({ dir, params: {}, intervalMs: 0, logger: capture().logger })).toThrow(/ruleset\.json: cannot read/);
  });
});
