import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** What a worker thread's registry reports (registry.getMetricsAsJSON()), merged into the process's /metrics. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/**
 * The platform's Prometheus metrics, one registry per process, passed down through deps
 * (no module-level singletons). Names follow `distributary_<what>_<unit>`. A worker thread
 * keeps its own registry without the process metrics (they are the process's, reported once)
 * and the owning thread adds it as a source: render() merges them, summing counters.
 */
export function createMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'distributary_process_' });
  const r = [registry];
  const sources: (() => Promise<MetricsSnapshot>)[] = [];
  return {
    registry,
    addSource: (source: () => Promise<MetricsSnapshot>) => void sources.push(source),
    /** The Prometheus exposition of this registry and every source added. */
    render: async (): Promise<{ contentType: string; body: string }> => {
      if (sources.length === 0) return { contentType: registry.contentType, body: await registry.metrics() };
      const snapshots = await Promise.all([registry.getMetricsAsJSON(), ...sources.map((s) => s().catch((): MetricsSnapshot => []))]);
      return { contentType: registry.contentType, body: await AggregatorRegistry.aggregate(snapshots).metrics() };
    },
    eventsIn: new Counter({ name: 'distributary_events_in_total', help: 'Events received by a stage', labelNames: ['stage'] as const, registers: r }),
    eventsOut: new Counter({ name: 'distributary_events_out_total', help: 'Events leaving a stage, by outcome (stored, dlq, duplicate, rejected, accepted, written)', labelNames: ['stage', 'outcome'] as const, registers: r }),
    dlq: new Counter({ name: 'distributary_dlq_total', help: 'Events sent to the DLQ, by stage and reason', labelNames: ['stage', 'reason'] as const, registers: r }),
    httpRequests: new Counter({ name: 'distributary_http_requests_total', help: 'HTTP requests by server and status', labelNames: ['server', 'status'] as const, registers: r }),
    batchSeconds: new Histogram({ name: 'distributary_batch_seconds', help: 'Time to handle one consumer batch', labelNames: ['stage'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r }),
    lag: new Gauge({ name: 'distributary_consumer_lag_messages', help: 'Messages between committed offsets and the end of the log', labelNames: ['group'] as const, registers: r }),
    freshness: new Gauge({ name: 'distributary_freshness_seconds', help: 'Age of the newest event in a store (now - its receive time)', labelNames: ['store'] as const, registers: r }),
    lakeFiles: new Counter({ name: 'distributary_lake_files_total', help: 'Parquet files written to the lake', registers: r }),
    datamartRows: new Counter({ name: 'distributary_datamart_rows_loaded_total', help: 'Rows loaded into the datamart', registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
