// Probes the real servers once for the whole run. Integration suites (test/integration.ts)
// read the result: they run against the servers when present, fail in CI when absent, and
// on a laptop without them are skipped with a message saying how to run them.
const net = require('node:net');

function reachable(hostPort) {
  const [host, port] = hostPort.replace(/^https?:\/\//, '').split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) || 80, timeout: 1000 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

module.exports = async () => {
  process.env.KAFKA_BROKERS ??= '127.0.0.1:19092';
  process.env.CLICKHOUSE_URL ??= 'http://127.0.0.1:18123';
  const kafka = await reachable(process.env.KAFKA_BROKERS.split(',')[0]);
  const clickhouse = await reachable(process.env.CLICKHOUSE_URL);
  process.env.TEST_KAFKA_AVAILABLE = kafka ? '1' : '0';
  process.env.TEST_CLICKHOUSE_AVAILABLE = clickhouse ? '1' : '0';
  const required = process.env.CI === 'true' || process.env.TEST_REQUIRE_SERVICES === '1';
  const missing = [!kafka && `Kafka (${process.env.KAFKA_BROKERS})`, !clickhouse && `ClickHouse (${process.env.CLICKHOUSE_URL})`].filter(Boolean);
  if (missing.length > 0) {
    const verb = required ? 'FAILING (CI requires them)' : 'SKIPPING';
    process.stderr.write(`\n[distributary] ${verb} integration suites: ${missing.join(' and ')} not reachable.\n` +
      `[distributary] To run them: scripts/services.sh up && npm test\n\n`);
  }
};
