import { commonEnv, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

export const routingConfigSchema = z.object({
  ROUTING_PORT: port(8104),
  HOST: commonEnv.HOST,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  METRICS_TOKEN: commonEnv.METRICS_TOKEN,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
});

export type RoutingConfig = z.infer<typeof routingConfigSchema>;
