import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

export const standaloneConfigSchema = z.object({
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL.default('warn'),
  /** Everything the platform keeps: the embedded database (cases, deliveries, the event log) and the notify outbox. */
  DATA_DIR: z.string().default('data'),
  INGEST_12345_PORT: port(8101),
  INGEST_COURTS_PORT: port(8103),
  ROUTING_PORT: port(8104),
  CASES_PORT: port(8105),
  NOTIFY_PORT: port(8106),
});

export type StandaloneConfig = z.infer<typeof standaloneConfigSchema>;

/** Demo credentials, created only in standalone mode and announced at start. */
export const demo = {
  hotlineClient: { id: 'demo-12345', secret: 'demo-secret' },
  courtClient: { id: 'demo-court', secret: 'demo-secret', courts: ['闽0803', '闽0802'] },
  operator: { username: 'demo-operator', password: 'demo-password', role: 'admin', scope: '350800' },
} as const;
