import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { standaloneConfigSchema } from './config.ts';
import { standaloneSettings } from './platform.ts';

describe('AGENCY_WEBHOOKS in standalone mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-standalone-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("reaches notify as the distributed service's variable does: a partner's receiver gets its department's webhooks", () => {
    const target = { url: 'http://127.0.0.1:9000/huijie', secret: 'partner-secret-0123' };
    const config = parseConfig(standaloneConfigSchema, {
      DATA_DIR: dataDir,
      AGENCY_WEBHOOKS: JSON.stringify({ '350802107-judicial_office': target }),
    });
    expect(standaloneSettings(config).agencyWebhooks).toEqual(
      new Map([['350802107-judicial_office', target]]),
    );
    // Unset, every delivery goes to the outbox file as before.
    expect(
      standaloneSettings(parseConfig(standaloneConfigSchema, { DATA_DIR: dataDir })).agencyWebhooks,
    ).toEqual(new Map());
  });

  it('refuses what notify refuses: personal data over plain http to another machine, a short secret, bad JSON', () => {
    for (const value of [
      '{"350802107-judicial_office":{"url":"http://partner.example.cn/hook","secret":"partner-secret-0123"}}',
      '{"350802107-judicial_office":{"url":"https://partner.example.cn/hook","secret":"short"}}',
      '{"350802107-judicial_office":',
    ]) {
      expect(() => parseConfig(standaloneConfigSchema, { AGENCY_WEBHOOKS: value })).toThrow(ConfigError);
    }
  });
});
