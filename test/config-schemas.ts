import { casesConfigSchema } from '@huijie/cases/config.ts';
import { ingest12345ConfigSchema } from '@huijie/ingest-12345/config.ts';
import { ingestCourtsConfigSchema } from '@huijie/ingest-courts/config.ts';
import { ingestWechatConfigSchema } from '@huijie/ingest-wechat/config.ts';
import { notifyConfigSchema } from '@huijie/notify/config.ts';
import { routingConfigSchema } from '@huijie/routing/config.ts';
import type { z } from 'zod';

/** Each distributed service's config schema, by the service's name (its folder in services/). */
export const configSchemas: Record<string, z.ZodObject> = {
  'ingest-12345': ingest12345ConfigSchema,
  'ingest-courts': ingestCourtsConfigSchema,
  'ingest-wechat': ingestWechatConfigSchema,
  routing: routingConfigSchema,
  cases: casesConfigSchema,
  notify: notifyConfigSchema,
};
