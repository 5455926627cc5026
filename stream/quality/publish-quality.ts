import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../../lib/logger';
import type { Metrics } from '../../lib/metrics';
import type { HourReport } from './quality-report';

/**
 * Where an hour's data-quality report goes: one log line (info), one warning per threshold
 * crossed, and gauges holding the last complete hour. The gauges are registered on the
 * process's metrics registry here rather than in lib/metrics.ts because only the real-time
 * worker has them; call this once per registry.
 */
export function createQualityPublisher(metrics: Metrics, logger: Logger): (report: HourReport) => void {
  const registers = [metrics.registry];
  const shares = new Gauge({ name: 'distributary_quality_share', help: 'Share of the last complete hour’s events: rejected (DLQ), late, duplicate, bot', labelNames: ['kind'] as const, registers });
  const volumes = new Gauge({ name: 'distributary_quality_events', help: 'Events of the last complete hour, by event type', labelNames: ['event_type'] as const, registers });
  const rejects = new Gauge({ name: 'distributary_quality_reject_rate', help: 'Share of the last complete hour’s events sent to the DLQ, by rule (or validation reason)', labelNames: ['rule'] as const, registers });
  const alerts = new Counter({ name: 'distributary_quality_alerts_total', help: 'Hours in which a data-quality share crossed its threshold (DISTRIBUTARY_QUALITY_ALERTS)', labelNames: ['check'] as const, registers });

  return (report) => {
    // Label sets of an earlier hour (a rule that no longer fires) must not linger as if current.
    volumes.reset();
    rejects.reset();
    for (const [kind, value] of Object.entries(report.shares)) shares.set({ kind }, value);
    for (const [type, n] of Object.entries(report.by_type)) volumes.set({ event_type: type }, n);
    for (const [rule, rate] of Object.entries(report.reject_rate_by_rule)) rejects.set({ rule }, rate);
    logger.info({ quality: report }, 'data-quality report for the hour');
    for (const a of report.alerts) {
      alerts.inc({ check: a.check });
      logger.warn({ check: a.check, value: a.value, threshold: a.threshold, hour: report.hour }, `data-quality threshold crossed: ${a.check} share ${a.value} > ${a.threshold}`);
    }
  };
}
