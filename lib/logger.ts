import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout (or a file descriptor of the caller's choosing). */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'distributary' } }, destination);
}

/** A logger that writes nothing, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
