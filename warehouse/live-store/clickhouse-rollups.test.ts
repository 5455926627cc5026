import fs from 'node:fs';
import path from 'node:path';
import { KPI_MEASURES, type Dialect } from '../live-views';
import { compileMeasure } from './clickhouse-rollup-measures';
import { kpiRollupSql, trendingRollupSql } from './clickhouse-rollup-queries';
import { KPI_ROLLUP, ROLLUP_MIGRATION, rollupMigrationSql } from './clickhouse-rollups';

const committed = path.resolve(__dirname, '../../sql/clickhouse', ROLLUP_MIGRATION);

describe('ClickHouse rollups compiled from the live-view declarations', () => {
  it('sql/clickhouse/002_rollups.sql is exactly what the generator emits', () => {
    // If this fails after a change to KPI_MEASURES / TRENDING_MEASURES / USER_MINUTE_MEASURES: an
    // applied migration cannot change (its checksum is recorded). Keep 002 as it is and add a new
    // migration that creates the changed rollup (see sql/clickhouse/README.md).
    expect(fs.readFileSync(committed, 'utf8')).toBe(rollupMigrationSql());
  });

  it('compiles every KPI measure to a -State, its column type and its -Merge', () => {
    expect(KPI_ROLLUP.measures.map((m) => m.name)).toEqual(KPI_MEASURES.map((m) => m.name));
    const byName = Object.fromEntries(KPI_ROLLUP.measures.map((m) => [m.name, m]));
    expect(byName.events).toMatchObject({ state: 'countState()', type: 'AggregateFunction(count)', merge: 'countMerge(events_state)' });
    expect(byName.active_users).toMatchObject({ state: 'uniqExactState(user_key)', type: 'AggregateFunction(uniqExact, String)' });
    expect(byName.cart_sessions.state).toBe("uniqExactStateIf(session_id, event_type = 'add_to_cart')");
    expect(byName.revenue).toMatchObject({ state: "sumStateIf(ifNull(revenue, 0), event_type = 'purchase')", type: 'AggregateFunction(sum, Float64)' });
    // No state type may depend on Nullable or on -If: those changed between ClickHouse 18.16 and 24.8.
    for (const m of KPI_ROLLUP.measures) expect(m.type).not.toMatch(/Nullable|If/);
  });

  it('refuses a measure that is not one aggregate call', () => {
    const twoCalls = { name: 'x', sql: (d: Dialect) => `${d.count()} + ${d.countIf('1')}` };
    expect(() => compileMeasure(twoCalls)).toThrow(/exactly one aggregate call/);
    const unknownColumn = { name: 'y', sql: (d: Dialect) => d.uniq('brand') };
    expect(() => compileMeasure(unknownColumn)).toThrow(/COLUMN_TYPES/);
  });

  it('reads whole minutes from the rollup and only the partial edge minutes from events_by_time', () => {
    const m = (n: number, ms = 0) => n * 60_000 + ms;
    const sql = kpiRollupSql.totals(m(10, 30_000), m(25, 15_000));
    expect(sql).toContain(`minute_ms >= ${m(11)} AND minute_ms < ${m(25)}`);
    expect(sql).toContain(`occurred_ms > ${m(10, 30_000)} AND occurred_ms <= ${m(25, 15_000)} AND (occurred_ms < ${m(11)} OR occurred_ms >= ${m(25)})`);
    // Aligned window (from, to]: minute 10 lacks its first ms and minute 25 has only its first: both are edges.
    expect(kpiRollupSql.byMinute(m(10), m(25))).toContain(`minute_ms >= ${m(11)} AND minute_ms < ${m(25)}`);
    expect(kpiRollupSql.byMinute(m(10), m(25) - 1)).toContain(`minute_ms >= ${m(11)} AND minute_ms < ${m(25)}`);
    // Shorter than a minute: no whole minute, everything from the edges.
    expect(trendingRollupSql(m(3, 10), m(3, 50), 5)).toContain(`minute_ms >= ${m(4)} AND minute_ms < ${m(3)}`);
  });
});
