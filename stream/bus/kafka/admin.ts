import type { Admin, Kafka } from 'kafkajs';
import { BusUnavailableError, DistributaryError } from '../../../lib/errors';
import { FAST_RETRY } from './timing';

/**
 * The bus's one kafkajs admin client, connected on first use. Every admin call goes through
 * run(), so that a broker hiccup becomes a BusUnavailableError (never a kafkajs type) and a
 * broken connection is dropped rather than reused.
 */

const STALE_LEADER = new Set(['NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_LEADER_EPOCH', 'FENCED_LEADER_EPOCH']);

/** The protocol error type of a kafkajs error, looking through its retry wrappers. */
export function errorType(err: unknown): string {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return '';
}

/** A lazily connected admin client that retries stale-leader errors and fails as BusUnavailableError. */
export class AdminConnection {
  private admin: { client: Admin; ready: Promise<Admin> } | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly assertOpen: () => void,
  ) {}

  /** Runs an admin call; infrastructure failures become BusUnavailableError and drop the admin client. */
  async run<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    this.assertOpen();
    const admin = this.adminClient();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(await admin.ready);
        } catch (err) {
          // kafkajs's admin gives up at once on these; they pass within moments (new partitions).
          if (attempt >= 4 || !STALE_LEADER.has(errorType(err))) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } catch (err) {
      if (err instanceof DistributaryError) throw err;
      if (this.admin === admin) {
        this.admin = undefined;
        void admin.client.disconnect().catch(() => undefined);
      }
      throw new BusUnavailableError(`kafka ${what} failed`, { cause: err });
    }
  }

  /** Forgets the client and starts its disconnect (undefined if it was never connected). */
  close(): Promise<void> | undefined {
    const admin = this.admin;
    this.admin = undefined;
    return admin?.client.disconnect();
  }

  private adminClient(): { client: Admin; ready: Promise<Admin> } {
    if (!this.admin) {
      const client = this.kafka.admin({ retry: FAST_RETRY });
      this.admin = { client, ready: client.connect().then(() => client) };
    }
    return this.admin;
  }
}
