import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChannels } from '@huijie/notify/app.ts';
import { memoryTokenStore } from '@huijie/notify/channels/token-store.ts';
import { ConfigError, parseConfig } from '@huijie/service-kit/config.ts';
import { verifySignature } from '@huijie/service-kit/signing.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { demo, standaloneConfigSchema } from './config.ts';
import { notifySettings, standaloneSettings } from './platform.ts';

/** A callback receiver on 127.0.0.1 for `run`: what it was sent, each answered 204. */
async function withReceiver(
  run: (url: string, received: { headers: IncomingHttpHeaders; body: Buffer }[]) => Promise<void>,
): Promise<void> {
  const received: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, received);
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

describe('PUBLIC_BASE_URL in standalone mode', () => {
  it("is the WeChat ingest's own address unless given: the QR codes and replies link to where the form is", () => {
    const base = (env: Record<string, string>) => parseConfig(standaloneConfigSchema, env).PUBLIC_BASE_URL;
    expect(base({})).toBe('http://localhost:8102');
    expect(base({ INGEST_WECHAT_PORT: '9102' })).toBe('http://localhost:9102');
    // Links are `<base>/apply`: a trailing slash would make them `//apply`.
    expect(base({ INGEST_WECHAT_PORT: '9102', PUBLIC_BASE_URL: 'https://tiaojie.example.cn/' })).toBe(
      'https://tiaojie.example.cn',
    );
  });
});

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

describe('COURT_CALLBACKS in standalone mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-standalone-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const channelsOf = (env: Record<string, string>) =>
    buildChannels(
      notifySettings(standaloneSettings(parseConfig(standaloneConfigSchema, { DATA_DIR: dataDir, ...env }))),
      memoryTokenStore(),
    );

  it("sends the demo court client's result callback, signed, to the court's receiver as distributed notify does", async () => {
    await withReceiver(async (base, received) => {
      const secret = 'court-callback-secret-0123';
      const url = `${base}/outcomes`;
      const { channels, real } = channelsOf({
        COURT_CALLBACKS: JSON.stringify({ [demo.courtClient.id]: { url, secret } }),
      });
      expect(real.has('court')).toBe(true);
      const sent = await channels.get('court')?.send({
        deliveryId: 'delivery-1',
        kind: 'result_callback',
        recipient: demo.courtClient.id,
        payload: { caseNumber: '（2024）闽0803民诉前调123号', outcome: 'mediated' },
        attempt: 1,
      });
      expect(sent).toMatchObject({ ok: true });
      expect(received).toHaveLength(1);
      const [callback] = received;
      // The court's own check passes with the secret it was given.
      expect(() => verifySignature(callback!.headers, callback!.body, () => secret)).not.toThrow();
      expect(JSON.parse(callback!.body.toString())).toMatchObject({
        deliveryId: 'delivery-1',
        kind: 'result_callback',
        data: { outcome: 'mediated' },
      });
    });
    // Unset, the court's outcomes go to the outbox file as before.
    expect(channelsOf({}).real.has('court')).toBe(false);
  });

  it('refuses what notify refuses: plain http to another machine, a short secret, bad JSON', () => {
    for (const value of [
      '{"demo-court":{"url":"http://court.example.cn/outcomes","secret":"court-secret-0123"}}',
      '{"demo-court":{"url":"https://court.example.cn/outcomes","secret":"short"}}',
      '{"demo-court":',
    ]) {
      expect(() => parseConfig(standaloneConfigSchema, { COURT_CALLBACKS: value })).toThrow(ConfigError);
    }
  });
});

describe('HOTLINE_CALLBACKS in standalone mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-standalone-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const configOf = (env: Record<string, string>) =>
    parseConfig(standaloneConfigSchema, { DATA_DIR: dataDir, ...env });
  const channelsOf = (env: Record<string, string>) =>
    buildChannels(notifySettings(standaloneSettings(configOf(env))), memoryTokenStore());

  it("sends the demo hotline client's 办结反馈, signed, to the hotline's receiver as distributed notify does", async () => {
    await withReceiver(async (base, received) => {
      const secret = 'hotline-callback-secret-0123';
      const url = `${base}/feedback`;
      const env = { HOTLINE_CALLBACKS: JSON.stringify({ [demo.hotlineClient.id]: { url, secret } }) };
      // Read as notify reads it: the same map, keyed by the hotline client id.
      expect(standaloneSettings(configOf(env)).hotlineCallbacks).toEqual(
        new Map([[demo.hotlineClient.id, { url, secret }]]),
      );
      const { channels, real } = channelsOf(env);
      expect(real.has('hotline')).toBe(true);
      const sent = await channels.get('hotline')?.send({
        deliveryId: 'delivery-1',
        kind: 'result_callback',
        recipient: demo.hotlineClient.id,
        payload: { orderNo: 'GD20240824001', outcome: 'mediated', result: '调解成功，涉及金额3800元' },
        attempt: 1,
      });
      expect(sent).toMatchObject({ ok: true });
      expect(received).toHaveLength(1);
      const [callback] = received;
      // The hotline's own check passes with the secret it was given.
      expect(() => verifySignature(callback!.headers, callback!.body, () => secret)).not.toThrow();
      expect(callback!.headers['x-huijie-delivery']).toBe('delivery-1');
      expect(JSON.parse(callback!.body.toString())).toMatchObject({
        deliveryId: 'delivery-1',
        kind: 'result_callback',
        data: { orderNo: 'GD20240824001', outcome: 'mediated' },
      });
    });
    // Unset, the hotline's 办结反馈 go to the outbox file as before.
    expect(channelsOf({}).real.has('hotline')).toBe(false);
    expect(standaloneSettings(configOf({})).hotlineCallbacks).toEqual(new Map());
  });

  it('refuses what notify refuses: plain http to another machine, a short secret, bad JSON', () => {
    for (const value of [
      '{"demo-12345":{"url":"http://12345.example.cn/feedback","secret":"hotline-secret-0123"}}',
      '{"demo-12345":{"url":"https://12345.example.cn/feedback","secret":"short"}}',
      '{"demo-12345":',
    ]) {
      expect(() => parseConfig(standaloneConfigSchema, { HOTLINE_CALLBACKS: value })).toThrow(ConfigError);
    }
  });
});
