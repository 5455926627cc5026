/**
 * The few error classes the platform throws. Bad *data* is never an exception (see
 * stream/step-result.ts); these are for infrastructure and configuration failures.
 */
export class DistributaryError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad configuration value: names the variable, the value and the rule it broke. */
export class ConfigError extends DistributaryError {
  constructor(message: string) {
    super(message, 'config_invalid', false);
  }
}

/** The bus could not durably append: the caller may retry later (ingest answers 503). */
export class BusUnavailableError extends DistributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'bus_unavailable', true, options);
  }
}

/** A store (live store, datamart) failed a read or write. */
export class StoreError extends DistributaryError {
  constructor(message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, 'store_error', retriable, options);
  }
}

/** A request the API refuses with a client-side status. */
export class HttpError extends DistributaryError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(message, code, false);
  }
}
