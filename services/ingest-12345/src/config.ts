import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

/** `id:secret` pairs, comma-separated: each hotline system signs with its own secret. */
export const clientList = z
  .string()
  .regex(
    /^[\w.-]+:[^,:]{8,}(,[\w.-]+:[^,:]{8,})*$/,
    'comma-separated client:secret pairs, secrets of 8+ characters',
  )
  .transform((value) => new Map(value.split(',').map((pair) => pair.split(':') as [string, string])));

export const ingest12345ConfigSchema = z.object({
  INGEST_12345_PORT: port(8101),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  REDIS_URL: commonEnv.REDIS_URL,
  HOTLINE_CLIENTS: clientList,
});

export type Ingest12345Config = z.infer<typeof ingest12345ConfigSchema>;
