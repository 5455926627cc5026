/**
 * The data-quality report, per hour of processing time: volumes per event type, the reject
 * rate per rule (or per validation reason when no rule was involved), and the late,
 * duplicate and bot shares. The real-time consumer feeds it the outcome of every event once
 * its batch is stored; when an hour is over, the report is handed to `onReport` (a log line
 * and metrics, see publish-quality.ts) together with the thresholds it crossed.
 */
export type QualityOutcome =
  | { fate: 'stored'; type: string; rulesHit: readonly string[] }
  | { fate: 'dlq'; type: string | null; reason: string; rule: string | null }
  | { fate: 'duplicate'; type: string };

export interface QualityRecorder {
  record(outcomes: readonly QualityOutcome[], at: number): void;
}

export type ShareCheck = 'reject' | 'late' | 'duplicate' | 'bot';
export type QualityThresholds = Record<ShareCheck, number>;

export interface HourReport {
  hour: string;
  events: number;
  stored: number;
  dlq: number;
  duplicates: number;
  late: number;
  bot: number;
  by_type: Record<string, number>;
  rejects_by_rule: Record<string, number>;
  reject_rate_by_rule: Record<string, number>;
  shares: Record<ShareCheck, number>;
  alerts: { check: ShareCheck; value: number; threshold: number }[];
}

export interface QualityReportOptions {
  /** The category of a rule id in the rule set in force ('bot', 'late', …). */
  categoryOf: (ruleId: string) => string | undefined;
  thresholds: QualityThresholds;
  onReport: (report: HourReport) => void;
  /** Hours with fewer events raise no alerts: a handful of events says nothing about a rate. */
  minEventsForAlerts?: number;
}

const HOUR = 3_600_000;

export function createQualityReport(opts: QualityReportOptions) {
  let hour: number | undefined;
  let c = counters();

  const close = () => {
    if (hour === undefined) return;
    if (c.events > 0) opts.onReport(summarise(new Date(hour).toISOString(), c, opts));
    c = counters();
  };

  const has = (ids: readonly string[], category: string) => ids.some((id) => opts.categoryOf(id) === category);

  return {
    record(outcomes: readonly QualityOutcome[], at: number): void {
      const h = Math.floor(at / HOUR) * HOUR;
      if (hour !== undefined && h > hour) close();
      if (hour === undefined || h > hour) hour = h;
      for (const o of outcomes) {
        c.events++;
        const type = o.type ?? 'unknown';
        c.byType[type] = (c.byType[type] ?? 0) + 1;
        if (o.fate === 'duplicate') c.duplicates++;
        else if (o.fate === 'stored') {
          c.stored++;
          if (has(o.rulesHit, 'late')) c.late++;
          if (has(o.rulesHit, 'bot')) c.bot++;
        } else {
          c.dlq++;
          const key = o.rule ?? o.reason;
          c.rejects[key] = (c.rejects[key] ?? 0) + 1;
          const category = o.rule === null ? undefined : opts.categoryOf(o.rule);
          if (category === 'late') c.late++;
          if (category === 'bot' || o.reason === 'bot') c.bot++;
        }
      }
    },
    /** Closes the hour if the clock has left it, so a quiet hour is still reported. */
    tick(now: number): void {
      if (hour !== undefined && Math.floor(now / HOUR) * HOUR > hour) {
        close();
        hour = undefined;
      }
    },
    /** The hour so far, without closing it: what the worker persists every minute for the API. */
    snapshot(): HourReport | undefined {
      return hour === undefined || c.events === 0 ? undefined : summarise(new Date(hour).toISOString(), c, opts);
    },
    /** The hour so far (for tests and a final report at shutdown). */
    flush(): void {
      close();
      hour = undefined;
    },
  };
}

export type QualityReport = ReturnType<typeof createQualityReport>;

function counters() {
  return { events: 0, stored: 0, dlq: 0, duplicates: 0, late: 0, bot: 0, byType: Object.create(null) as Record<string, number>, rejects: Object.create(null) as Record<string, number> };
}

const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : 0);

type Counters = ReturnType<typeof counters>;

/**
 * One report from the partial reports of several workers (each owns some partitions) or
 * several snapshots' owners for the same hour: counts add up, shares and alerts are recomputed.
 */
export function mergeHourReports(parts: readonly HourReport[], opts: Pick<QualityReportOptions, 'thresholds' | 'minEventsForAlerts'>): HourReport {
  const c = counters();
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  };
  for (const p of parts) {
    c.events += p.events;
    c.stored += p.stored;
    c.dlq += p.dlq;
    c.duplicates += p.duplicates;
    c.late += p.late ?? 0;
    c.bot += p.bot ?? 0;
    add(c.byType, p.by_type);
    add(c.rejects, p.rejects_by_rule);
  }
  return summarise(parts[0]?.hour ?? new Date(0).toISOString(), c, opts);
}

function summarise(hour: string, c: Counters, opts: Pick<QualityReportOptions, 'thresholds' | 'minEventsForAlerts'>): HourReport {
  const shares: Record<ShareCheck, number> = { reject: ratio(c.dlq, c.events), late: ratio(c.late, c.events), duplicate: ratio(c.duplicates, c.events), bot: ratio(c.bot, c.events) };
  const alerts = c.events < (opts.minEventsForAlerts ?? 50) ? [] : (Object.keys(shares) as ShareCheck[])
    .filter((k) => shares[k] > opts.thresholds[k])
    .map((k) => ({ check: k, value: shares[k], threshold: opts.thresholds[k] }));
  return {
    hour,
    events: c.events,
    stored: c.stored,
    dlq: c.dlq,
    duplicates: c.duplicates,
    late: c.late,
    bot: c.bot,
    by_type: c.byType,
    rejects_by_rule: c.rejects,
    reject_rate_by_rule: Object.fromEntries(Object.entries(c.rejects).map(([k, n]) => [k, ratio(n, c.events)])),
    shares,
    alerts,
  };
}
