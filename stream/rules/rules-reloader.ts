import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../lib/logger';
import type { CompiledRuleSet } from './compile-ruleset';
import { fingerprint, loadRuleSet } from './load-ruleset';

export interface RuleSetWatch {
  /** The set in force; a reload replaces it between two calls, never during an event. */
  current(): CompiledRuleSet;
  /** Loads the folder now: true if a new set is in force, false if it was broken (old set kept). */
  reload(): boolean;
  stop(): void;
}

export interface WatchOptions {
  dir: string;
  /** Params from the configuration (late-event horizon); they win over the files' defaults. */
  params: Record<string, number>;
  /** Poll period; 0 loads once and never again. */
  intervalMs: number;
  logger: Logger;
  registry?: Registry;
}

/**
 * Loads a rules folder and keeps it current without a restart. The folder is polled (names,
 * sizes, mtimes: fs.watch misses edits on some file systems and editors that replace files)
 * and reloaded once a change has stood still for one period, so a half-copied folder is not
 * read. A new set is compiled in full before it is swapped in; a broken one is logged and
 * the old set stays. The first load throws: a worker must not start without rules.
 */
export function watchRuleSet(opts: WatchOptions): RuleSetWatch {
  const log = opts.logger.child({ component: 'rules', dir: opts.dir });
  const registers = opts.registry ? [opts.registry] : [];
  const info = new Gauge({ name: 'distributary_rules_info', help: 'The rule set in force (value 1), by version', labelNames: ['version'] as const, registers });
  const reloads = new Counter({ name: 'distributary_rules_reloads_total', help: 'Rule-set reloads, by outcome (ok, failed)', labelNames: ['outcome'] as const, registers });

  let seen = fingerprint(opts.dir);
  let set = loadRuleSet(opts.dir, opts.params);
  info.set({ version: set.version }, 1);
  log.info({ version: set.version, rules: set.rules.length }, 'rule set loaded');

  const reload = (): boolean => {
    try {
      const next = loadRuleSet(opts.dir, opts.params);
      if (next.version !== set.version) {
        log.info({ version: next.version, previous: set.version, rules: next.rules.length }, 'rule set reloaded');
        info.reset();
        info.set({ version: next.version }, 1);
      }
      set = next;
      reloads.inc({ outcome: 'ok' });
      return true;
    } catch (err) {
      reloads.inc({ outcome: 'failed' });
      log.error({ err, version: set.version }, 'rule set not reloaded: the files are broken; the rules in force stay');
      return false;
    }
  };

  let pending: string | undefined;
  const timer = opts.intervalMs > 0 ? setInterval(() => {
    const now = fingerprint(opts.dir);
    if (now === seen) return void (pending = undefined);
    if (now !== pending) return void (pending = now); // still changing: wait for it to settle
    seen = now;
    pending = undefined;
    reload();
  }, opts.intervalMs) : undefined;
  timer?.unref();

  return { current: () => set, reload, stop: () => timer && clearInterval(timer) };
}
