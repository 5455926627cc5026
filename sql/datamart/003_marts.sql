-- Marts for dashboards: plain views over the star schema, so they are never stale.
CREATE VIEW mart_daily_kpis AS
SELECT event_date,
       count(*) AS events,
       count(*) FILTER (WHERE event_type = 'product_view') AS product_views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS add_to_carts,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
       count(DISTINCT user_key) AS users,
       count(DISTINCT session_id) AS sessions,
       coalesce(sum(revenue) FILTER (WHERE event_type = 'purchase'), 0) AS revenue,
       round(count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase') / nullif(count(DISTINCT session_id), 0), 4) AS conversion
FROM fct_events GROUP BY event_date;

CREATE VIEW mart_product_funnel AS
SELECT product_id,
       any_value(category) AS category,
       count(*) FILTER (WHERE event_type = 'product_view') AS views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS carts,
       round(count(*) FILTER (WHERE event_type = 'add_to_cart') / nullif(count(*) FILTER (WHERE event_type = 'product_view'), 0), 4) AS view_to_cart
FROM fct_events WHERE product_id IS NOT NULL GROUP BY product_id;

CREATE VIEW mart_category_daily AS
SELECT event_date, category, count(*) AS events, count(DISTINCT user_key) AS users
FROM fct_events WHERE category IS NOT NULL GROUP BY event_date, category;
