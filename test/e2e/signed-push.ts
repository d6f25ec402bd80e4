import { sign } from '@huijie/service-kit/signing.ts';
import type { FastifyInstance } from 'fastify';

/** Pushes a body to an ingest app the way a hotline system does: signed with its client secret. */
export function signedPush(
  app: FastifyInstance,
  url: string,
  body: unknown,
  client = { id: 'e2e-12345', secret: 'e2e-secret-123' },
) {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return app.inject({
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      'x-huijie-client': client.id,
      'x-huijie-timestamp': timestamp,
      'x-huijie-signature': sign(client.secret, timestamp, raw),
    },
    payload: raw,
  });
}
