-- Staging: lake rows exactly as read from Parquet, plus the file they came from.
CREATE TABLE stg_events (
  event_id VARCHAR,
  event_type VARCHAR,
  schema_version INTEGER,
  occurred_at TIMESTAMP_MS,
  received_at TIMESTAMP_MS,
  user_id VARCHAR,
  anonymous_id VARCHAR,
  session_id VARCHAR,
  product_id VARCHAR,
  category VARCHAR,
  price DOUBLE,
  currency VARCHAR,
  quantity INTEGER,
  order_id VARCHAR,
  revenue DOUBLE,
  search_query VARCHAR,
  payload VARCHAR,
  bus_partition INTEGER,
  bus_offset BIGINT,
  source_file VARCHAR NOT NULL
);

-- One row per lake file loaded; written in the same transaction as the file's rows,
-- which is what makes each file load exactly once however often the loader runs or dies.
CREATE TABLE load_manifest (
  file VARCHAR PRIMARY KEY,
  rows BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
