import { describe, expect, it } from 'vitest';
import { createMetrics, sampledGauge } from './metrics.ts';

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
});
