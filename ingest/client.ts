import type { StorefrontEvent } from '../contract/events';

export interface SendResult {
  accepted: number;
  rejected: { index: number; event_id: string | null; errors: string[] }[];
}

/**
 * A small client for POST /v1/events used by `generate`, `replay` and the benchmarks. It
 * retries 503s after the server's Retry-After (the events were not accepted, so resending
 * is safe; event_ids make any overlap harmless) and fails on anything else.
 */
export function createIngestClient(opts: { url: string; key: string; maxRetries?: number }) {
  const endpoint = `${opts.url.replace(/\/$/, '')}/v1/events`;
  return async function send(events: StorefrontEvent[] | unknown[]): Promise<SendResult> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.key}` },
        body: JSON.stringify(events),
      });
      if (res.status === 202) return (await res.json()) as SendResult;
      const body = await res.text();
      if (res.status === 503 && attempt < (opts.maxRetries ?? 20)) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
        continue;
      }
      throw new Error(`ingest answered ${res.status}: ${body.slice(0, 300)}`);
    }
  };
}
