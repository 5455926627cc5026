import { EVENT_SCHEMAS } from '../contract/events';

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = { description: 'Error', ...json({ $ref: '#/components/schemas/Error' }) };
const q = (name: string, description: string, example?: string) => ({ name, in: 'query', required: false, description, schema: { type: 'string' }, example });

/** OpenAPI 3.1 for both HTTP servers; event schemas come from the contract, not a copy. */
export function openApiDocument() {
  const eventRefs = EVENT_SCHEMAS.map((s) => ({ $ref: `#/components/schemas/${s.title!.replace(/\W+/g, '_')}` }));
  return {
    openapi: '3.1.0',
    info: { title: 'Distributary', version: '1', description: 'Ingest storefront events; read live features, KPIs and trending products.' },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Ingest one event, an array of up to 1,000, or {batch: [...]} (≤ 1 MB). Answers after the accepted events are durable.',
          security: [{ bearer: [] }, { writeKey: [] }],
          requestBody: json({ oneOf: [{ oneOf: eventRefs }, { type: 'array', maxItems: 1000, items: { oneOf: eventRefs } }] }),
          responses: {
            '202': { description: 'Accepted events are durable; rejected ones are listed and kept in the DLQ', ...json({ type: 'object', properties: { accepted: { type: 'integer' }, rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, event_id: { type: ['string', 'null'] }, errors: { type: 'array', items: { type: 'string' } } } } } } }) },
            '400': error, '401': error, '413': error,
            '503': { description: 'The bus could not append; retry after the Retry-After seconds', headers: { 'Retry-After': { schema: { type: 'integer' } } }, ...json({ $ref: '#/components/schemas/Error' }) },
          },
        },
      },
      '/v1/users/{id}/features': {
        get: {
          summary: 'Live per-user features: last viewed products and categories, cart, counts over 15m/1h/24h, last purchase',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 128 } }, q('as_of', 'ISO time or epoch ms (default now)'), q('n', 'How many last-viewed items (1–100)', '10')],
          responses: { '200': { description: 'Features', ...json({ type: 'object' }) }, '400': error },
        },
      },
      '/v1/live/kpis': { get: { summary: 'Per-minute KPIs and window totals', parameters: [q('window', '1m…7d', '15m'), q('as_of', 'ISO time or epoch ms')], responses: { '200': { description: 'KPI report', ...json({ type: 'object' }) }, '400': error } } },
      '/v1/live/trending': { get: { summary: 'Trending products (views + 3 × cart adds)', parameters: [q('window', '1m…7d', '1h'), q('limit', '1–500', '20'), q('as_of', 'ISO time or epoch ms')], responses: { '200': { description: 'Products', ...json({ type: 'object' }) }, '400': error } } },
      '/v1/dlq': { get: { summary: 'Newest DLQ entries with reason, rule and raw payload', parameters: [q('limit', '1–10000', '100'), q('since', 'ISO time or epoch ms')], responses: { '200': { description: 'Entries', ...json({ type: 'object' }) } } } },
      '/v1/quality': { get: { summary: 'Hourly data-quality reports, newest first: volumes per type, reject rate per rule, late, duplicate and bot shares, alerts (the real-time workers of an hour merged)', parameters: [q('hours', '1–744', '24')], responses: { '200': { description: 'Reports', ...json({ type: 'object' }) } } } },
      '/healthz': { get: { summary: 'Process is alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Live store answers and consumers run', responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain exposition' } } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, writeKey: { type: 'apiKey', in: 'header', name: 'X-Write-Key' } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        ...Object.fromEntries(EVENT_SCHEMAS.map((s) => [s.title!.replace(/\W+/g, '_'), stripIds(s)])),
      },
    },
  };
}

/** $id values are for the published JSON Schema files, not for components inside this document. */
function stripIds(schema: object): object {
  return JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === '$id' ? undefined : v))) as object;
}
