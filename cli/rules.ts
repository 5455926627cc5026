import { createEventValidator } from '../contract/validate';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { topicNames, type Bus } from '../stream/bus';
import { createApplyRulesStep } from '../stream/rules/apply-rules.step';
import { createDryRun, formatDryRun, type DryRunReport } from '../stream/rules/dry-run';
import { loadRuleSet } from '../stream/rules/load-ruleset';
import { parseScanFrom, scanTopic } from '../stream/rules/scan-topic';
import { openBus } from './adapters';

export interface RulesTestOptions {
  from: string;
  samples?: number;
  limit?: number;
}

/**
 * `distributary rules test <dir> --from <position>`: replays events.raw from a position
 * through the rules in force (DISTRIBUTARY_RULES_DIR) and the candidate folder, writing
 * nothing (a local log is opened read-only, beside a running platform), and reports how many
 * events would change fate, per rule, with samples. A candidate that does not load fails
 * here with the same message a reload would log.
 */
export async function rulesTest(dir: string, opts: RulesTestOptions, deps: { config: Config; logger: Logger; bus?: Bus }) {
  const { config } = deps;
  const params = { late_horizon_ms: config.lateEventMs };
  const current = loadRuleSet(config.rulesDir, params);
  const candidate = loadRuleSet(dir, params);
  const step = (set: typeof current) => createApplyRulesStep({ rules: () => set, threshold: config.qualityThreshold });
  const dry = createDryRun({ validator: createEventValidator(), current: step(current), candidate: step(candidate), samples: opts.samples });
  const bus = deps.bus ?? (await openBus(config, deps.logger, { readOnly: config.bus === 'local' }));
  try {
    await scanTopic({ bus, topic: topicNames(config.topicPrefix).raw, from: parseScanFrom(opts.from), groupPrefix: `${config.topicPrefix}rules-test`, limit: opts.limit, onMessage: dry.add });
  } finally {
    if (!deps.bus) await bus.close();
  }
  const report: DryRunReport = dry.report();
  return { report, versions: { current: current.version, candidate: candidate.version }, text: formatDryRun(report, { current: current.version, candidate: candidate.version }) };
}
