"""Runs the ClickHouse live store's migrations, a JSONEachRow insert and every compiled live-view
query on a current ClickHouse (embedded through chdb, from PyPI), and fails on any error.
Usage: npx tsx scripts/clickhouse-sql-sample.ts | python3 scripts/check-clickhouse-current.py"""
import json, sys
from chdb import session

sample = json.load(sys.stdin)
s = session.Session()
version = str(s.query("SELECT version()", "CSV")).strip().strip('"')
for stmt in sample["migrations"]:
    s.query(stmt, "CSV")
rows = "\n".join(json.dumps(r) for r in sample["rows"])
s.query("INSERT INTO events FORMAT JSONEachRow " + rows, "CSV")
landed = str(s.query("SELECT count() FROM sink_landed", "CSV")).strip()
minutes = str(s.query("SELECT count() FROM kpi_minute", "CSV")).strip()
assert int(landed) == len(sample["rows"]), f"sink_landed has {landed} rows, expected {len(sample['rows'])}"
assert int(minutes) > 0, "the KPI materialized view wrote nothing"
answered = 0
for q in sample["queries"]:
    out = str(s.query(q, "JSONEachRow"))
    answered += 1
total = json.loads(str(s.query(sample["queries"][1], "JSONEachRow")).splitlines()[0])
assert int(total["events"]) > 0, total
print(f"ClickHouse {version}: {len(sample['migrations'])} migration statements, {len(sample['rows'])} rows through the views, {answered} live-view queries: ok")
