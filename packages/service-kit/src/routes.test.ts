import { describe, expect, it } from 'vitest';
import { createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { route } from './routes.ts';

describe('a request with no credential at all', () => {
  const appWith = (credentials?: readonly string[]) => {
    const app = createServiceApp({
      logger: createLogger({ service: 'routes-test', level: 'silent' }),
      metrics: createMetrics('routes-test'),
      readiness: {},
    });
    route(
      app,
      {
        method: 'GET',
        url: '/v1/things',
        summary: 'things',
        security: 'operator',
        authenticate: () => 'someone',
        ...(credentials && { credentials }),
      },
      async () => ({ ok: true }),
    );
    return app;
  };

  it.each([
    ['a service that takes tokens and API keys (cases)', undefined, 'authorization or x-api-key required'],
    ['a service that takes tokens only (notify)', ['authorization'], 'authorization required'],
  ])('%s: the 401 names what it takes', async (_, credentials, message) => {
    const app = appWith(credentials);
    const response = await app.inject({ url: '/v1/things' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({ code: 'unauthorized', message });
    await app.close();
  });
});
