-- Lake files the loader could not read, with the error; skipped until the file changes size.
CREATE TABLE load_errors (
  file VARCHAR PRIMARY KEY,
  bytes BIGINT NOT NULL,
  error VARCHAR NOT NULL,
  failed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
