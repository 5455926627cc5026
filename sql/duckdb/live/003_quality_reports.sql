-- Hourly data-quality reports (stream/quality), appended by each real-time worker: the hour so
-- far every minute, then the complete hour. The newest row per (hour, worker) counts; the API
-- merges the workers of an hour (counts add up, shares are recomputed).
CREATE TABLE quality_reports (
  hour TIMESTAMP_MS NOT NULL,
  worker VARCHAR NOT NULL,
  written_at TIMESTAMP_MS NOT NULL,
  report VARCHAR NOT NULL
);
