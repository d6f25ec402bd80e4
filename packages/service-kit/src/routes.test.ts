import { describe, expect, it } from 'vitest';
import { createServiceApp } from './http-app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { route } from './routes.ts';

describe('a request with no credential at all', () => {
  const appWith = (
    credentials?: readonly string[],
    security: 'operator' | 'operator-or-agency' = 'operator',
  ) => {
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
        security,
        authenticate: () => 'someone',
        ...(credentials && { credentials }),
      },
      async () => ({ ok: true }),
    );
    return app;
  };

  it.each([
    [
      'a route of operators and agencies (cases)',
      undefined,
      'operator-or-agency',
      'authorization or x-api-key required',
    ],
    [
      "an operators' route of a service that also takes API keys (cases)",
      undefined,
      'operator',
      'authorization required',
    ],
    ['a service that takes tokens only (notify)', ['authorization'], 'operator', 'authorization required'],
  ] as const)('%s: the 401 names what it takes', async (_, credentials, security, message) => {
    const app = appWith(credentials, security);
    const response = await app.inject({ url: '/v1/things' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toMatchObject({ code: 'unauthorized', message });
    await app.close();
  });
});
