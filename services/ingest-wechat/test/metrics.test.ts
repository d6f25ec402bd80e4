import { afterAll, describe, expect, it } from 'vitest';
import { testApp } from './support.ts';

describe('/metrics of the WeChat channel', () => {
  const { app, bus } = testApp();
  afterAll(() => app.close());

  it('tells how far its consumer of case status (the tracking page) is behind', async () => {
    bus.consumerLag = async () => [{ group: 'ingest-wechat', topic: 'case.status.v1', lag: 3 }];
    const scrape = await app.inject({ url: '/metrics' });
    expect(scrape.body).toMatch(
      /^huijie_consumer_lag\{group="ingest-wechat",topic="case\.status\.v1",service="ingest-wechat-test"\} 3$/m,
    );
  });
});
