import type { ErrorRequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { DistributaryError, HttpError } from './errors';
import type { Logger } from './logger';

/**
 * The one error middleware of both HTTP servers: known errors → their status and
 * `{ error: { code, message } }`; anything else → 500 with a request id, logged.
 */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bodyParser = err as { type?: string; status?: number; message?: string };
    if (bodyParser.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'request body exceeds 1 MB' } });
      return;
    }
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    if (err instanceof DistributaryError && err.retriable) {
      res.setHeader('Retry-After', '1');
      res.status(503).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const requestId = randomUUID();
    logger.error({ err, requestId, method: req.method, path: req.path }, 'unhandled request error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error', request_id: requestId } });
  };
}
