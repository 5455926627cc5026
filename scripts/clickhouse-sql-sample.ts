// Prints, as JSON, everything the ClickHouse live store sends to a server: the migration
// statements, sample rows (JSONEachRow) and the live-view queries compiled for a window over
// them. scripts/check-clickhouse-current.py runs it all on a current ClickHouse (chdb), so CI
// proves the SQL on a modern release beside the Debian 18.16 server the integration suites use.
import fs from 'node:fs';
import { splitStatements } from '../lib/migrations';
import { assetPath } from '../lib/package-root';
import { clickhouseDialect, lastPurchaseSql, lastViewedCategoriesSql, lastViewedProductsSql, userCountsSql, cartSql, kpiByMinuteSql, kpiTotalsSql } from '../warehouse/live-views';
import { clickhouseRollupDialect, trendingRollupSql } from '../warehouse/live-store/clickhouse-rollup-queries';
import { toRow } from '../warehouse/live-store/clickhouse-rows';
import { liveEvent } from '../warehouse/live-store/live-event.fixture';

const T = Date.UTC(2026, 10, 23, 10, 0, 0);
const dir = assetPath('sql', 'clickhouse');
const migrations = fs.readdirSync(dir).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort().flatMap((f) => splitStatements(fs.readFileSync(`${dir}/${f}`, 'utf8')));
const types = ['page_view', 'product_view', 'add_to_cart', 'remove_from_cart', 'purchase', 'search'];
const rows = Array.from({ length: 300 }, (_, i) => toRow('events.raw', liveEvent({
  bus_offset: i, event_type: types[i % types.length], user_key: `u${i % 7}`, session_id: `s${i % 11}`, product_id: `p${i % 13}`,
  quantity: 1, revenue: i % 6 === 4 ? 10 : null, order_id: i % 6 === 4 ? `o${i}` : null, occurred_at: T + i * 7_000, search_query: "o'neil \\ shoes",
})));
const asOf = T + 300 * 7_000;
const queries = [
  kpiByMinuteSql(clickhouseRollupDialect, asOf - 900_000 + 1234, asOf),
  kpiTotalsSql(clickhouseRollupDialect, asOf - 3_600_000, asOf),
  trendingRollupSql(asOf - 3_600_000, asOf, 10),
  lastViewedProductsSql(clickhouseDialect, "u1' OR '1'='1", asOf, 10),
  lastViewedProductsSql(clickhouseDialect, 'u1', asOf, 10),
  lastViewedCategoriesSql(clickhouseDialect, 'u1', asOf, 10),
  userCountsSql(clickhouseDialect, 'u1', asOf),
  lastPurchaseSql(clickhouseDialect, 'u1', asOf),
  cartSql(clickhouseDialect, 'u1', asOf, 0),
];
process.stdout.write(JSON.stringify({ migrations, rows, queries }));
