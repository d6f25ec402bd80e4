import type { EventBus } from '@huijie/event-bus/bus.ts';
import type { BusObserver } from '@huijie/event-bus/runner.ts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from './timeout.ts';

/** One registry per service instance (not the global one), so tests and standalone mode never collide. */
/**
 * `scrapeToken`: when set, /metrics answers only `Authorization: Bearer <token>` (Prometheus's
 * `authorization.credentials`), for a port that cannot be kept off the public network.
 */
export function createMetrics(service: string, options: { scrapeToken?: string | undefined } = {}) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'huijie_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const handlerDuration = new Histogram({
    name: 'huijie_event_handler_duration_seconds',
    help: 'Event handler latency by consumer group and topic',
    labelNames: ['group', 'topic'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'huijie_event_handler_retries_total',
    help: 'Handler attempts that failed and were retried',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: 'huijie_dead_letters_total',
    help: 'Messages parked on a dead-letter topic',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
  const busObserver: BusObserver = {
    handled: ({ group, topic, ms }) => handlerDuration.observe({ group, topic }, ms / 1000),
    retried: ({ group, topic }) => retries.inc({ group, topic }),
    deadLettered: ({ group, topic }) => deadLetters.inc({ group, topic }),
  };
  return { registry, httpDuration, busObserver, scrapeToken: options.scrapeToken };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A gauge read when /metrics is scraped, e.g. a backlog counted in the database. If the read
 * fails (the database is away) the gauge is left out of that scrape rather than showing an old
 * value, and /metrics still answers. A read still running when the next scrape comes (a client
 * retrying an unreachable server for longer than a scrape waits) is waited for again, not started
 * a second time: an outage does not pile up reads.
 */
export function sampledGauge(
  metrics: Metrics,
  name: string,
  help: string,
  labelNames: string[],
  sample: () => Promise<{ labels?: Record<string, string>; value: number }[]>,
): void {
  if (metrics.registry.getSingleMetric(name)) return;
  let running: ReturnType<typeof sample> | undefined;
  const read = () => {
    running ??= sample().finally(() => {
      running = undefined;
    });
    return running;
  };
  new Gauge({
    name,
    help,
    labelNames,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        for (const { labels, value } of await withTimeout(read(), 2_000)) this.set(labels ?? {}, value);
      } catch {
        this.reset();
        // reset() gives a gauge without labels the value 0: a backlog that could not be counted
        // would read as none.
        if (labelNames.length === 0) this.remove();
      }
    },
  });
}

/**
 * How far each consumer group of this service is behind, per topic: messages written and not yet
 * committed, summed over the partitions. Asked of the broker (or the embedded log) at each scrape;
 * left out when it cannot answer in time.
 */
export function consumerLagGauge(metrics: Metrics, bus: Pick<EventBus, 'consumerLag'>): void {
  sampledGauge(
    metrics,
    'huijie_consumer_lag',
    'Messages not yet committed by a consumer group, by topic (end offset minus committed offset, summed over partitions)',
    ['group', 'topic'],
    async () =>
      (await bus.consumerLag()).map(({ group, topic, lag }) => ({ labels: { group, topic }, value: lag })),
  );
}
