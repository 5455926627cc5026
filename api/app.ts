import express from 'express';
import { HttpError } from '../lib/errors';
import { errorMiddleware } from '../lib/http-errors';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { HourReport, LiveStore } from '../warehouse/live-store';
import { windowLabel } from '../warehouse/live-store/view-results';
import { DEFAULT_QUALITY_ALERTS } from '../lib/config';
import { mergeHourReports, type QualityThresholds } from '../stream/quality/quality-report';

const HOUR = 3_600_000;
import { openApiDocument } from './openapi';
import { parseAsOf, parseLimit, parseWindow } from './windows';
import { assetPath } from '../lib/package-root';

export interface ApiDeps {
  store: LiveStore;
  metrics: Metrics;
  logger: Logger;
  /** Extra readiness checks (consumers running, lag bounded); each returns an error text or null. */
  readiness?: () => Promise<string[]>;
  /** Share thresholds for the data-quality alerts (DISTRIBUTARY_QUALITY_ALERTS): recomputed when workers' reports are merged. */
  qualityThresholds?: QualityThresholds;
  now?: () => number;
}

/** The read API: live features, KPIs and trending for the storefront, plus health and metrics. */
export function createApiApp(deps: ApiDeps) {
  const app = express();
  app.disable('x-powered-by');
  const now = deps.now ?? Date.now;
  app.use((req, res, next) => {
    res.on('finish', () => deps.metrics.httpRequests.inc({ server: 'api', status: String(res.statusCode) }));
    next();
  });

  app.get('/v1/users/:id/features', async (req, res) => {
    const id = req.params.id;
    if (id.length === 0 || id.length > 128) throw new HttpError(400, 'invalid_user_id', 'user id must be 1 to 128 characters');
    const asOf = parseAsOf(req.query.as_of, now());
    res.json(await deps.store.userFeatures(id, asOf, parseLimit(req.query.n, 10, 100)));
  });

  app.get('/v1/live/kpis', async (req, res) => {
    res.json(await deps.store.kpis(parseWindow(req.query.window, '15m'), parseAsOf(req.query.as_of, now())));
  });

  app.get('/v1/live/trending', async (req, res) => {
    const windowMs = parseWindow(req.query.window, '15m');
    const asOf = parseAsOf(req.query.as_of, now());
    res.json({ window: windowLabel(windowMs), products: await deps.store.trending(windowMs, asOf, parseLimit(req.query.limit, 20, 500)) });
  });

  app.get('/v1/dlq', async (req, res) => {
    res.json({ entries: await deps.store.dlq(parseLimit(req.query.limit, 100, 10_000), parseAsOf(req.query.since, 0)) });
  });

  /** Hourly data-quality reports, newest hour first: the real-time workers' reports of an hour merged. */
  app.get('/v1/quality', async (req, res) => {
    const hours = parseLimit(req.query.hours, 24, 24 * 31, 'hours');
    const since = Math.floor(now() / HOUR) * HOUR - (hours - 1) * HOUR;
    const byHour = new Map<string, HourReport[]>();
    for (const { report } of await deps.store.qualityReports(since)) {
      const parts = byHour.get(report.hour);
      if (parts) parts.push(report);
      else byHour.set(report.hour, [report]);
    }
    const thresholds = deps.qualityThresholds ?? DEFAULT_QUALITY_ALERTS;
    const merged = [...byHour.values()].map((parts) => ({ ...mergeHourReports(parts, { thresholds }), workers: parts.length }));
    res.json({ hours: merged.sort((a, b) => b.hour.localeCompare(a.hour)), thresholds });
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  /** Age of the newest stored event: how far behind real time the live views are. */
  const refreshFreshness = async () => {
    const f = await deps.store.freshness();
    if (f.lastReceivedAt !== null) deps.metrics.freshness.set({ store: deps.store.kind }, Math.max(0, (now() - f.lastReceivedAt) / 1000));
  };

  app.get('/readyz', async (_req, res) => {
    const problems: string[] = [];
    try {
      await refreshFreshness();
    } catch (err) {
      problems.push(`live store: ${(err as Error).message}`);
    }
    problems.push(...((await deps.readiness?.()) ?? []));
    res.status(problems.length ? 503 : 200).json({ status: problems.length ? 'not_ready' : 'ready', problems });
  });

  app.get('/metrics', async (_req, res) => {
    await refreshFreshness().catch((err: unknown) => deps.logger.warn({ err }, 'freshness unavailable'));
    const { contentType, body } = await deps.metrics.render();
    res.set('Content-Type', contentType).send(body);
  });

  app.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  app.use('/dashboards', express.static(assetPath('dashboards', 'live')));

  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such route')));
  app.use(errorMiddleware(deps.logger));
  return app;
}
