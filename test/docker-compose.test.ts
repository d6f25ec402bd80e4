import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { casesConfigSchema } from '@huijie/cases/config.ts';
import { ingest12345ConfigSchema } from '@huijie/ingest-12345/config.ts';
import { ingestCourtsConfigSchema } from '@huijie/ingest-courts/config.ts';
import { ingestWechatConfigSchema } from '@huijie/ingest-wechat/config.ts';
import { notifyConfigSchema } from '@huijie/notify/config.ts';
import { routingConfigSchema } from '@huijie/routing/config.ts';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';

/** docker-compose cannot run on this machine; this checks what it can: every variable is one the service reads. */
const schemas: Record<string, z.ZodObject> = {
  'ingest-12345': ingest12345ConfigSchema,
  'ingest-courts': ingestCourtsConfigSchema,
  'ingest-wechat': ingestWechatConfigSchema,
  routing: routingConfigSchema,
  cases: casesConfigSchema,
  notify: notifyConfigSchema,
};

const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { build?: { args?: { SERVICE?: string } }; environment?: Record<string, string> }>;
};

/** Values an operator would supply for the `${VAR:?…}` placeholders. */
const operatorSupplied: Record<string, string> = {
  HOTLINE_CLIENTS: 'hotline-a:secret-of-hotline-a',
  JWT_SECRET: 'x'.repeat(48),
  COURT_CLIENTS: '[{"id":"court-a","secret":"secret-of-court-a","courts":["闽0803"]}]',
  AGENCY_WEBHOOKS: '{}',
  WECHAT_TOKEN: 'accounttoken1',
  WECHAT_APPID: 'wx0123456789abcdef',
  WECHAT_APP_SECRET: 'app-secret-0123456789abcdef0123',
  WECHAT_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  PUBLIC_BASE_URL: 'https://tiaojie.longyan.example',
};
const substitute = (value: string) =>
  String(value).replace(/\$\{(\w+)[^}]*\}?\}/g, (_, name: string) => operatorSupplied[name] ?? '');

describe('docker-compose.yml', () => {
  it('has a container for every service in services/', () => {
    const built = Object.values(compose.services).map((service) => service.build?.args?.SERVICE);
    for (const service of readdirSync(join(root, 'services'))) expect(built).toContain(service);
  });

  for (const [name, schema] of Object.entries(schemas)) {
    it(`${name}: sets only variables its config knows, and they parse`, () => {
      const environment = compose.services[name]?.environment ?? {};
      const known = Object.keys(schema.shape);
      for (const variable of Object.keys(environment))
        expect(known, `${name} does not read ${variable}`).toContain(variable);
      const env = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [key, substitute(value)]),
      );
      const parsed = schema.safeParse(env);
      expect(
        parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path}: ${issue.message}`),
      ).toEqual([]);
    });
  }
});
