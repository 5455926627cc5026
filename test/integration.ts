/**
 * `describe` for suites that need a real server. Present → the suite runs. Absent in CI (or
 * with TEST_REQUIRE_SERVICES=1) → the suite fails loudly. Absent on a laptop → skipped, and
 * test/global-setup.js has printed which suites and how to run them.
 */
export type Service = 'kafka' | 'clickhouse';

export function serviceAvailable(service: Service): boolean {
  return process.env[`TEST_${service.toUpperCase()}_AVAILABLE`] === '1';
}

export function describeWithServices(services: Service[], name: string, fn: () => void): void {
  const missing = services.filter((s) => !serviceAvailable(s));
  if (missing.length === 0) return describe(name, fn);
  const required = process.env.CI === 'true' || process.env.TEST_REQUIRE_SERVICES === '1';
  if (required) {
    return describe(name, () => {
      it(`needs ${missing.join(' and ')}`, () => {
        throw new Error(`${missing.join(' and ')} not reachable; integration suites must run here. Start them with scripts/services.sh up`);
      });
    });
  }
  describe.skip(`${name} [skipped: ${missing.join(' and ')} not running — scripts/services.sh up]`, fn);
}

export const kafkaBrokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
export const clickhouseUrl = () => process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
