import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../../../lib/logger';

/**
 * Routes kafkajs's own logs to the platform's pino logger (namespace kept as a field), or
 * silences them when there is no logger. kafkajs INFO is chatty (every group join/leave), so
 * it goes to debug; its DEBUG goes to trace. kafkajs only builds the levels pino will keep.
 */
export function kafkaLogging(logger: Logger | undefined): { logLevel: logLevel; logCreator: logCreator } {
  if (!logger) return { logLevel: logLevel.NOTHING, logCreator: () => () => undefined };
  const log = logger.child({ component: 'kafkajs' });
  const level = log.isLevelEnabled('trace') ? logLevel.DEBUG : log.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN;
  return {
    logLevel: level,
    logCreator: () => (entry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log;
      // The bus deliberately bounds the idempotent producer's retries (a dead broker must answer
      // within seconds) and retires the producer after any failure; kafkajs warns at creation.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      const obj = { namespace: entry.namespace, ...fields };
      let level = entry.level;
      // kafkajs logs every protocol error response at ERROR (a rebalance, an existing topic on
      // create, ...), though its caller handles it or it reaches the bus caller as an error.
      if (level === logLevel.ERROR && entry.namespace === 'Connection') level = message.startsWith('Response ') ? logLevel.INFO : logLevel.WARN;
      switch (level) {
        case logLevel.ERROR:
          log.error(obj, message);
          break;
        case logLevel.WARN:
          log.warn(obj, message);
          break;
        case logLevel.INFO:
          log.debug(obj, message);
          break;
        default:
          log.trace(obj, message);
      }
    },
  };
}
