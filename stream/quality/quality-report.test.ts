import pino from 'pino';
import { createMetrics } from '../../lib/metrics';
import { loadRuleSet, bundledRulesDir } from '../rules/load-ruleset';
import { createQualityPublisher } from './publish-quality';
import { createQualityReport, mergeHourReports, type HourReport, type QualityOutcome } from './quality-report';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const rules = loadRuleSet(bundledRulesDir());
const thresholds = { reject: 0.05, late: 0.2, duplicate: 0.05, bot: 0.3 };

/** An hour of traffic: 100 events, of which 10 rejected, 25 late, 4 duplicates, 6 bot. */
function hourOfTraffic(): QualityOutcome[] {
  const out: QualityOutcome[] = [];
  for (let i = 0; i < 60; i++) out.push({ fate: 'stored', type: 'product_view', rulesHit: i < 25 ? ['late_event', 'truncate_ip'] : ['truncate_ip'] });
  for (let i = 0; i < 26; i++) out.push({ fate: 'stored', type: 'add_to_cart', rulesHit: i < 2 ? ['bot_fast_session'] : [] });
  for (let i = 0; i < 4; i++) out.push({ fate: 'duplicate', type: 'add_to_cart' });
  for (let i = 0; i < 4; i++) out.push({ fate: 'dlq', type: 'product_view', reason: 'bot', rule: 'bot_user_agent' });
  for (let i = 0; i < 5; i++) out.push({ fate: 'dlq', type: 'purchase', reason: 'price_negative', rule: 'item_price_negative' });
  out.push({ fate: 'dlq', type: null, reason: 'json_invalid', rule: null });
  return out;
}

describe('data-quality report', () => {
  it('sums an hour per type and rule, with late, duplicate and bot shares, and flags thresholds', () => {
    const reports: HourReport[] = [];
    const report = createQualityReport({ categoryOf: rules.categoryOf, thresholds, onReport: (r) => reports.push(r) });
    report.record(hourOfTraffic().slice(0, 50), T0 + 1000);
    report.record(hourOfTraffic().slice(50), T0 + HOUR - 1);
    expect(reports).toEqual([]);
    report.record([{ fate: 'stored', type: 'search', rulesHit: [] }], T0 + HOUR + 5); // the next hour closes this one
    expect(reports).toEqual([{
      hour: '2026-11-23T10:00:00.000Z', events: 100, stored: 86, dlq: 10, duplicates: 4, late: 25, bot: 6,
      by_type: { product_view: 64, add_to_cart: 30, purchase: 5, unknown: 1 },
      rejects_by_rule: { bot_user_agent: 4, item_price_negative: 5, json_invalid: 1 },
      reject_rate_by_rule: { bot_user_agent: 0.04, item_price_negative: 0.05, json_invalid: 0.01 },
      shares: { reject: 0.1, late: 0.25, duplicate: 0.04, bot: 0.06 },
      alerts: [{ check: 'reject', value: 0.1, threshold: 0.05 }, { check: 'late', value: 0.25, threshold: 0.2 }],
    }]);
    report.tick(T0 + 2 * HOUR + 1); // a quiet hour still gets its report
    expect(reports[1]).toMatchObject({ hour: '2026-11-23T11:00:00.000Z', events: 1, alerts: [] });
  });

  it('publishes the last hour as gauges, a log line and a warning plus a counter per alert', async () => {
    const metrics = createMetrics();
    const lines: { level: number; msg: string }[] = [];
    const publish = createQualityPublisher(metrics, pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }));
    const report = createQualityReport({ categoryOf: rules.categoryOf, thresholds, onReport: publish });
    report.record(hourOfTraffic(), T0);
    report.flush();
    const text = await metrics.registry.metrics();
    expect(text).toContain('distributary_quality_share{kind="bot"} 0.06');
    expect(text).toContain('distributary_quality_reject_rate{rule="item_price_negative"} 0.05');
    expect(text).toContain('distributary_quality_events{event_type="add_to_cart"} 30');
    expect(text).toContain('distributary_quality_alerts_total{check="late"} 1');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'data-quality report for the hour'],
      [40, 'data-quality threshold crossed: reject share 0.1 > 0.05'],
      [40, 'data-quality threshold crossed: late share 0.25 > 0.2'],
    ]);
  });

  it('merges the partial reports of several workers for one hour: counts add, shares and alerts are recomputed', () => {
    const parts: HourReport[] = [];
    const traffic = hourOfTraffic();
    for (const slice of [traffic.slice(0, 30), traffic.slice(30, 70), traffic.slice(70)]) {
      const worker = createQualityReport({ categoryOf: rules.categoryOf, thresholds, onReport: (r) => parts.push(r) });
      worker.record(slice, T0 + 1000);
      worker.flush();
    }
    const whole: HourReport[] = [];
    const single = createQualityReport({ categoryOf: rules.categoryOf, thresholds, onReport: (r) => whole.push(r) });
    single.record(traffic, T0 + 1000);
    single.flush();
    expect(parts.map((p) => p.events)).toEqual([30, 40, 30]);
    expect(mergeHourReports(parts, { thresholds })).toEqual(whole[0]);
  });

  it('snapshots the hour so far without closing it, and is safe with hostile type names', () => {
    const reports: HourReport[] = [];
    const report = createQualityReport({ categoryOf: rules.categoryOf, thresholds, onReport: (r) => reports.push(r) });
    expect(report.snapshot()).toBeUndefined();
    report.record([{ fate: 'stored', type: '__proto__', rulesHit: [] }, { fate: 'dlq', type: 'constructor', reason: 'x', rule: null }], T0);
    const snap = report.snapshot()!;
    expect(snap).toMatchObject({ hour: '2026-11-23T10:00:00.000Z', events: 2, stored: 1, dlq: 1 });
    expect(Object.keys(snap.by_type).sort()).toEqual(['__proto__', 'constructor']);
    expect(snap.by_type.__proto__).toBe(1);
    expect(reports).toEqual([]);
    report.record([{ fate: 'stored', type: 'search', rulesHit: [] }], T0 + 1);
    expect(report.snapshot()?.events).toBe(3);
  });
});
