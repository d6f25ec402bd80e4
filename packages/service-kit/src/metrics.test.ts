import { describe, expect, it, vi } from 'vitest';
import { consumerLagGauge, createMetrics, sampledGauge } from './metrics.ts';

describe('a gauge sampled at each scrape', () => {
  it('is left out of a scrape whose read fails, with or without labels, rather than showing 0', async () => {
    const metrics = createMetrics('test');
    let down = false;
    const read = async <T>(value: T) => {
      if (down) throw new Error('database away');
      return value;
    };
    sampledGauge(metrics, 'test_backlog', 'Backlog', [], () => read([{ value: 1234 }]));
    sampledGauge(metrics, 'test_by_state', 'By state', ['state'], () =>
      read([{ labels: { state: 'pending' }, value: 7 }]),
    );
    const up = await metrics.registry.metrics();
    expect(up).toMatch(/^test_backlog\{service="test"\} 1234$/m);
    expect(up).toMatch(/^test_by_state\{state="pending",service="test"\} 7$/m);

    down = true;
    const away = await metrics.registry.metrics();
    // A backlog alert must not clear because the count could not be read.
    expect(away).not.toMatch(/^test_backlog\{/m);
    expect(away).not.toMatch(/^test_by_state\{/m);
  });

  it('a read that outlasts a scrape is waited for again by the next, not started anew', async () => {
    vi.useFakeTimers();
    try {
      const metrics = createMetrics('test');
      let reads = 0;
      let answer: (value: { value: number }[]) => void = () => {};
      sampledGauge(metrics, 'test_backlog', 'Backlog', [], () => {
        reads++;
        return new Promise((resolve) => {
          answer = resolve;
        });
      });
      for (let scrape = 0; scrape < 3; scrape++) {
        const scraped = metrics.registry.metrics();
        await vi.advanceTimersByTimeAsync(2_000);
        expect(await scraped).not.toMatch(/^test_backlog\{/m);
      }
      expect(reads).toBe(1);
      answer([{ value: 5 }]);
      await vi.advanceTimersByTimeAsync(0);
      const next = metrics.registry.metrics();
      answer([{ value: 6 }]);
      expect(await next).toMatch(/^test_backlog\{service="test"\} 6$/m);
      expect(reads).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the consumer lag gauge', () => {
  it('shows each group and topic, and a broker that does not answer holds a scrape up for 2 s at most, the lag left out', async () => {
    const metrics = createMetrics('routing');
    let brokerDown = false;
    consumerLagGauge(metrics, {
      consumerLag: () =>
        brokerDown
          ? new Promise(() => {})
          : Promise.resolve([{ group: 'routing', topic: 'dispute.intake.v1', lag: 42 }]),
    });
    expect(await metrics.registry.metrics()).toMatch(
      /^huijie_consumer_lag\{group="routing",topic="dispute.intake.v1",service="routing"\} 42$/m,
    );

    brokerDown = true;
    const started = Date.now();
    const scrape = await metrics.registry.metrics();
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(scrape).not.toMatch(/^huijie_consumer_lag\{/m);
    expect(scrape).toMatch(/^process_cpu_user_seconds_total/m);
  });
});
