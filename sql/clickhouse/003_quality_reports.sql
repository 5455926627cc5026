-- Hourly data-quality reports (stream/quality), appended by each real-time worker: the hour so
-- far every minute, then the complete hour. The newest row per (hour, worker) counts
-- (argMax on read); the API merges the workers of an hour. Partitioned by day for retention.
CREATE TABLE IF NOT EXISTS quality_reports (
  hour_ms Int64,
  worker String,
  written_ms Int64,
  report String,
  hour DateTime('UTC') MATERIALIZED toDateTime(intDiv(hour_ms, 1000), 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(hour)
ORDER BY (hour_ms, worker, written_ms);
