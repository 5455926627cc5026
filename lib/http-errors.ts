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
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const clientError = err as { type?: string; status?: number; message?: string };
    if (clientError.type === 'entity.too.large') {
      res.status(413).json({ error: { code: 'payload_too_large', message: 'request body exceeds 1 MB' } });
      return;
    }
    // express's own refusals (an unsupported or corrupt Content-Encoding, a path segment that is
    // not valid %-encoding) carry a 4xx status: they are the client's fault, not a 500.
    if (typeof clientError.status === 'number' && clientError.status >= 400 && clientError.status < 500) {
      const code = clientError.type?.replace(/\./g, '_') ?? 'bad_request';
      res.status(clientError.status).json({ error: { code, message: clientError.message ?? 'bad request' } });
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
