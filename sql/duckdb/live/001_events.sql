-- Live store (embedded): cleaned events, one row each; the live views read this table.
CREATE TABLE events (
  event_id VARCHAR NOT NULL,
  event_type VARCHAR NOT NULL,
  schema_version INTEGER NOT NULL,
  occurred_at TIMESTAMP_MS NOT NULL,
  received_at TIMESTAMP_MS NOT NULL,
  user_key VARCHAR NOT NULL,
  user_id VARCHAR,
  anonymous_id VARCHAR,
  session_id VARCHAR NOT NULL,
  product_id VARCHAR,
  category VARCHAR,
  brand VARCHAR,
  price DOUBLE,
  currency VARCHAR,
  quantity INTEGER,
  search_query VARCHAR,
  order_id VARCHAR,
  revenue DOUBLE,
  page_url VARCHAR,
  referrer VARCHAR,
  user_agent VARCHAR,
  ip VARCHAR,
  locale VARCHAR,
  quality_score DOUBLE NOT NULL,
  rules_hit VARCHAR NOT NULL,
  rules_version VARCHAR NOT NULL,
  bus_partition INTEGER NOT NULL,
  bus_offset BIGINT NOT NULL
);

-- Next bus offset stored per (topic, partition), moved in the same transaction as the rows:
-- a redelivered batch is recognised and stored once.
CREATE TABLE sink_offsets (
  topic VARCHAR NOT NULL,
  partition INTEGER NOT NULL,
  next_offset BIGINT NOT NULL,
  PRIMARY KEY (topic, partition)
);

CREATE TABLE dlq (
  stage VARCHAR NOT NULL,
  reason VARCHAR NOT NULL,
  rule VARCHAR,
  errors VARCHAR NOT NULL,
  event_id VARCHAR,
  payload VARCHAR NOT NULL,
  failed_at TIMESTAMP_MS NOT NULL
);
