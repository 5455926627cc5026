-- Live store on ClickHouse: the base tables. Runs on ClickHouse 18.16 and 24.8 (see README.md).
-- Every statement is idempotent (IF NOT EXISTS): a migration interrupted half-way is simply re-run.

-- Cleaned events, one row per (topic, bus_partition, bus_offset). Times are epoch milliseconds;
-- occurred_at only exists for partitioning (whole UTC days, dropped by retention).
-- ORDER BY (user_key, occurred_ms): per-user feature queries are primary-key range reads.
CREATE TABLE IF NOT EXISTS events (
  event_id String,
  event_type String,
  schema_version Int32,
  occurred_ms Int64,
  received_ms Int64,
  user_key String,
  user_id Nullable(String),
  anonymous_id Nullable(String),
  session_id String,
  product_id Nullable(String),
  category Nullable(String),
  brand Nullable(String),
  price Nullable(Float64),
  currency Nullable(String),
  quantity Nullable(Int32),
  search_query Nullable(String),
  order_id Nullable(String),
  revenue Nullable(Float64),
  page_url Nullable(String),
  referrer Nullable(String),
  user_agent Nullable(String),
  ip Nullable(String),
  locale Nullable(String),
  quality_score Float64,
  rules_hit String,
  rules_version String,
  topic String,
  bus_partition Int32,
  bus_offset Int64,
  occurred_at DateTime('UTC') MATERIALIZED toDateTime(intDiv(occurred_ms, 1000), 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(occurred_at)
ORDER BY (user_key, occurred_ms);

-- Next bus offset stored per (topic, partition): the watermark below which a redelivered event
-- is known to be stored. Only ever moves forward, so readers take max(next_offset); merges keep
-- the highest version per key.
CREATE TABLE IF NOT EXISTS sink_offsets (
  topic String,
  bus_partition Int32,
  next_offset UInt64,
  updated_ms Int64
) ENGINE = ReplacingMergeTree(next_offset)
ORDER BY (topic, bus_partition);

-- Which (topic, partition, offset) landed in events, written by the same INSERT as the rows
-- (materialized view). write() looks up only offsets at/above the watermark here: the rows of a
-- batch that landed before a crash, so a redelivery inserts just the missing ones.
CREATE TABLE IF NOT EXISTS sink_landed (
  topic String,
  bus_partition Int32,
  bus_offset Int64,
  received_ms Int64
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(toDateTime(intDiv(received_ms, 1000), 'UTC'))
ORDER BY (topic, bus_partition, bus_offset);

CREATE MATERIALIZED VIEW IF NOT EXISTS sink_landed_mv TO sink_landed AS
SELECT topic, bus_partition, bus_offset, received_ms FROM events;

-- The columns the KPI and trending views read, in event-time order: the minutes at the edges of a
-- window that the per-minute rollups cannot split (windows are exact to the millisecond).
CREATE TABLE IF NOT EXISTS events_by_time (
  occurred_ms Int64,
  received_ms Int64,
  event_type String,
  user_key String,
  session_id String,
  product_id Nullable(String),
  category Nullable(String),
  revenue Nullable(Float64)
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(toDateTime(intDiv(occurred_ms, 1000), 'UTC'))
ORDER BY occurred_ms;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_by_time_mv TO events_by_time AS
SELECT occurred_ms, received_ms, event_type, user_key, session_id, product_id, category, revenue FROM events;

-- Rejected events, verbatim, with the rule and reason.
CREATE TABLE IF NOT EXISTS dlq (
  stage String,
  reason String,
  rule Nullable(String),
  errors String,
  event_id Nullable(String),
  payload String,
  failed_ms Int64,
  failed_at DateTime('UTC') MATERIALIZED toDateTime(intDiv(failed_ms, 1000), 'UTC')
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(failed_at)
ORDER BY failed_ms;
