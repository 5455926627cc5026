import express, { type Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { safeStringify } from '../contract/json-depth';
import type { EventValidator } from '../contract/validate';
import { BusUnavailableError, HttpError } from '../lib/errors';
import { errorMiddleware } from '../lib/http-errors';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { TOPICS, type Bus, type OutgoingMessage, type Topics } from '../stream/bus';
import { eventIdOf, toDlqMessage } from '../stream/dlq';
import { arrayElements, busText, keysWritten, type ValueText } from './json-elements';

export const MAX_BATCH_EVENTS = 1000;
export const MAX_BODY_BYTES = 1024 * 1024;

export interface IngestDeps {
  bus: Bus;
  validator: EventValidator;
  writeKeys: string[];
  metrics: Metrics;
  logger: Logger;
  topics?: Topics;
  now?: () => number;
}

export interface Rejection {
  index: number;
  event_id: string | null;
  errors: string[];
}

/**
 * POST /v1/events: one event, an array, or `{ "batch": [...] }`. The answer comes only after
 * the bus has durably appended the accepted events and the DLQ records of the rejected ones:
 * never a 2xx for an event that is not durable.
 */
export function createIngestApp(deps: IngestDeps) {
  const app = express();
  app.disable('x-powered-by');
  const now = deps.now ?? Date.now;
  const topics = deps.topics ?? TOPICS;
  const keys = deps.writeKeys.map((k) => Buffer.from(k));
  app.use((req, res, next) => {
    res.on('finish', () => deps.metrics.httpRequests.inc({ server: 'ingest', status: String(res.statusCode) }));
    next();
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  // The key is checked before the body is read: a caller without one learns that (401), not the body's size.
  const authorized: express.RequestHandler = (req, _res, next) => {
    authorize(req, keys);
    next();
  };
  app.post('/v1/events', authorized, express.raw({ type: () => true, limit: MAX_BODY_BYTES }), async (req, res) => {
    const { events, texts } = parseBody(req.body as Buffer);
    deps.metrics.eventsIn.inc({ stage: 'ingest' }, events.length);
    const accepted: OutgoingMessage[] = [];
    const dlqOut: OutgoingMessage[] = [];
    const rejected: Rejection[] = [];
    const receivedAt = now();
    events.forEach((input, index) => {
      const v = deps.validator(input);
      if (v.ok) {
        accepted.push({ key: v.event.user_id ?? v.event.anonymous_id!, value: busText(texts?.[index], input), timestamp: receivedAt });
        return;
      }
      const event_id = eventIdOf(input);
      rejected.push({ index, event_id, errors: v.errors });
      const payload = safeStringify(input);
      dlqOut.push(toDlqMessage({ stage: 'ingest', reason: v.reason, rule: null, errors: v.errors, event_id, payload, failed_at: receivedAt }, event_id ?? 'unknown'));
      deps.metrics.dlq.inc({ stage: 'ingest', reason: v.reason });
    });
    try {
      await Promise.all([deps.bus.produce(topics.raw, accepted), deps.bus.produce(topics.dlq, dlqOut)]);
    } catch (err) {
      deps.logger.warn({ err }, 'bus append failed: answering 503');
      throw err instanceof BusUnavailableError ? err : new BusUnavailableError('bus append failed', { cause: err });
    }
    deps.metrics.eventsOut.inc({ stage: 'ingest', outcome: 'accepted' }, accepted.length);
    deps.metrics.eventsOut.inc({ stage: 'ingest', outcome: 'rejected' }, rejected.length);
    res.status(202).json({ accepted: accepted.length, rejected });
  });

  app.all('/v1/events', (_req, res, next) => {
    res.setHeader('Allow', 'POST');
    next(new HttpError(405, 'method_not_allowed', 'POST events to /v1/events'));
  });
  app.use((_req, _res, next) => next(new HttpError(404, 'not_found', 'no such route')));
  app.use(errorMiddleware(deps.logger));
  return app;
}

/** Accepts `Authorization: Bearer <key>`, Basic with the key as user name, or `X-Write-Key`. */
function authorize(req: Request, keys: Buffer[]): void {
  const header = req.get('authorization') ?? '';
  let key = req.get('x-write-key') ?? '';
  // Auth schemes are case-insensitive (RFC 9110 §11.1): "bearer <key>" is as good as "Bearer <key>".
  const [, scheme = '', credentials = ''] = /^(\S+) (.*)$/.exec(header) ?? [];
  if (scheme.toLowerCase() === 'bearer') key = credentials.trim();
  else if (scheme.toLowerCase() === 'basic') key = Buffer.from(credentials, 'base64').toString('utf8').split(':')[0];
  const given = Buffer.from(key);
  if (!key || !keys.some((k) => k.length === given.length && timingSafeEqual(k, given))) {
    throw new HttpError(401, 'unauthorized', 'missing or unknown write key');
  }
}

/**
 * The events of a body, and where it is an array or a single event, each event's text as sent:
 * the bus carries that, untransformed, unless it repeats a key (see keysIn). A
 * `{"batch": [...]}` body's events are re-serialised.
 */
function parseBody(body: Buffer | undefined): { events: unknown[]; texts?: ValueText[] } {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'empty_body', 'the request has no body');
  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    parsed = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'malformed_json', `body is not valid UTF-8 JSON: ${(err as Error).message.slice(0, 120)}`);
  }
  const list = Array.isArray(parsed) ? parsed : isBatch(parsed) ? parsed.batch : [parsed];
  if (list.length === 0) throw new HttpError(400, 'empty_batch', 'the batch has no events');
  if (list.length > MAX_BATCH_EVENTS) throw new HttpError(413, 'batch_too_large', `a batch holds at most ${MAX_BATCH_EVENTS} events, this one has ${list.length}`);
  const texts = Array.isArray(parsed) ? arrayElements(text, text.indexOf('[')) : isBatch(parsed) ? undefined : [{ text: text.trim(), keys: keysWritten(text) }];
  return { events: list, texts: texts?.length === list.length ? texts : undefined };
}

function isBatch(v: unknown): v is { batch: unknown[] } {
  return typeof v === 'object' && v !== null && Array.isArray((v as { batch?: unknown }).batch);
}
