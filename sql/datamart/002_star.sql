-- Star schema. fct_events holds each event_id once (client retries appear twice in the lake).
CREATE TABLE fct_events (
  event_id VARCHAR PRIMARY KEY,
  event_type VARCHAR NOT NULL,
  occurred_at TIMESTAMP_MS,
  event_date DATE,
  user_key VARCHAR,
  user_id VARCHAR,
  session_id VARCHAR,
  product_id VARCHAR,
  category VARCHAR,
  price DOUBLE,
  quantity INTEGER,
  order_id VARCHAR,
  revenue DOUBLE,
  currency VARCHAR
);

CREATE VIEW dim_products AS
SELECT product_id,
       arg_max(category, occurred_at) AS category,
       arg_max(price, occurred_at) FILTER (WHERE price IS NOT NULL) AS last_price,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at
FROM fct_events WHERE product_id IS NOT NULL GROUP BY product_id;

CREATE VIEW dim_users AS
SELECT user_key,
       any_value(user_id) AS user_id,
       min(occurred_at) AS first_seen_at,
       max(occurred_at) AS last_seen_at,
       count(DISTINCT session_id) AS sessions
FROM fct_events GROUP BY user_key;
