import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import {
  assemblePlatform,
  embeddedInfrastructure,
  type Infrastructure,
  type Platform,
  seedDemoOperator,
} from '@huijie/standalone/platform.ts';
import { chromiumLaunchOptions, requireChromium } from '@huijie/testing/chromium.ts';
import { eventually } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestWechatApp } from '../src/app.ts';
import { memoryApplicationStore } from '../src/application/store.ts';
import { testWechat } from './support.ts';

/**
 * A citizen on a phone: Debian's headless Chromium opens the application form the township
 * QR code points to, fills it in, submits, reads the tracking number; the case then exists in
 * the right town with the right mediator, and the progress page shows it — the whole platform
 * on its embedded engines, as `npm start` runs it.
 */
const haveChromium = requireChromium('the WeChat form browser test');

// WeChat's in-app browser on Android announces itself like this.
const wechatUserAgent =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 XWEB/1200065 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003052) ' +
  'WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64';

describe.runIf(haveChromium)('the WeChat application form in a phone browser', () => {
  let infra: Infrastructure;
  let platform: Platform;
  let wechat: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  const app = (name: string) => platform.apps.find((entry) => entry.name === name)!.app;

  beforeAll(async () => {
    infra = await embeddedInfrastructure(mkdtempSync(join(tmpdir(), 'huijie-wechat-browser-')));
    await seedDemoOperator(infra.casesDb);
    platform = await assemblePlatform(infra, {
      ports: { ingest12345: 0, ingestWechat: 0, ingestCourts: 0, routing: 0, cases: 0, notify: 0 },
      wechat: {
        ...testWechat,
        encodingAesKey: testWechat.encodingAesKey!,
        publicBaseUrl: 'http://127.0.0.1',
      },
      courtClients: new Map(),
      jwtSecret: 'browser-jwt-secret-0123456789abcdef',
      hotlineClients: new Map([['browser-12345', 'browser-secret-123']]),
      outboxFile: join(mkdtempSync(join(tmpdir(), 'huijie-wechat-browser-')), 'outbox.jsonl'),
      logLevel: 'silent',
    });
    // The WeChat app under test is built here; should the platform already include one, it stays unstarted.
    for (const { name, app } of platform.apps) if (name !== 'ingest-wechat') await startConsuming(app);

    const metrics = createMetrics('ingest-wechat');
    // Listen first: the form's links and the QR codes need the address the browser will use.
    const settings = {
      wechat: { ...testWechat, mode: 'safe' as const },
      publicBaseUrl: 'http://127.0.0.1',
      // The test polls the progress page; a citizen would not ask thirty times a minute.
      limits: { lookupsPerApplicationPerHour: 1_000 },
    };
    wechat = buildIngestWechatApp(settings, {
      bus: createEventBus(infra.engine, { source: '/huijie/ingest-wechat', observer: metrics.busObserver }),
      idempotency: infra.idempotency,
      rateLimiter: memoryRateLimiter(),
      applications: memoryApplicationStore(),
      logger: createLogger({ service: 'ingest-wechat', level: 'silent' }),
      metrics,
    });
    base = await wechat.listen({ port: 0, host: '127.0.0.1' });
    await startConsuming(wechat);
    settings.publicBaseUrl = base;

    browser = await chromium.launch(chromiumLaunchOptions);
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent: wechatUserAgent,
      locale: 'zh-CN',
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await wechat?.close();
    for (const { app } of platform?.apps ?? []) await app.close();
    await platform?.release();
  });

  it('a citizen scans Jiangshan town’s code, applies, gets a tracking number; the case is assigned there', async () => {
    await page.goto(`${base}/apply?town=350802107`);
    expect(await page.title()).toBe('矛盾纠纷调解申请');
    expect(await page.locator('select[name="townCode"]').inputValue()).toBe('350802107');
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);

    // Sent empty, the form shows each problem next to its field.
    await page.getByRole('button', { name: '提交申请' }).tap();
    const nameError = page.locator('[data-field="applicant.name"] .error');
    await nameError.waitFor({ state: 'visible' });
    expect(await nameError.textContent()).toBe('请填写申请人姓名');
    expect(await page.locator('[data-field="description"] .error').textContent()).toBe('请填写纠纷情况');
    expect(await page.locator('[data-field="agreed"] .error').textContent()).toBe(
      '请阅读并同意个人信息使用说明',
    );
    // A screen reader on the name field hears that it is wrong, and why.
    const nameInput = page.getByLabel('姓名', { exact: true });
    expect(await nameInput.getAttribute('aria-invalid')).toBe('true');
    expect(
      await page.locator(`[id="${await nameInput.getAttribute('aria-describedby')}"]`).textContent(),
    ).toBe('请填写申请人姓名');
    expect(await page.getByRole('radiogroup', { name: '对方是' }).count()).toBe(1);

    await page.locator('input[name="applicant.name"]').fill('郭某');
    await page.locator('input[name="applicant.phone"]').fill('138 0000 1234');
    await page.locator('input[name="respondent.name"]').fill('水库工程包工头');
    await page.locator('input[name="address"]').fill('江山镇水库大坝');
    await page
      .locator('textarea[name="description"]')
      .fill('2024年8月我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。');
    await page.locator('input[name="amountClaimed"]').fill('3800');
    await page.locator('input[name="agreed"]').check();
    await page.getByRole('button', { name: '提交申请' }).tap();

    const tracking = page.locator('#tracking-no');
    await tracking.waitFor({ state: 'visible' });
    const trackingNo = (await tracking.textContent())!;
    expect(trackingNo).toMatch(/^WX[2-9A-HJKMNP-Z]{12}$/);
    expect(await page.locator('#apply').isHidden()).toBe(true);
    await page.screenshot({ path: join(tmpdir(), 'huijie-wechat-form-submitted.png'), fullPage: true });

    // The case exists, in Jiangshan town, with the town's judicial office leading.
    const login = await app('cases').inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { username: 'demo-operator', password: 'demo-password' },
    });
    const auth = { authorization: `Bearer ${login.json().token}` };
    const disputeId = disputeIdFor('wechat', trackingNo);
    const { caseId } = await eventually<{ caseId: string }>(
      async () => {
        const response = await app('cases').inject({ url: `/v1/disputes/${disputeId}`, headers: auth });
        return response.statusCode === 200 ? response.json() : undefined;
      },
      { what: 'the case', timeoutMs: 30_000 },
    );
    const detail = await eventually(
      async () => {
        const body = (await app('cases').inject({ url: `/v1/cases/${caseId}`, headers: auth })).json();
        return body.status === 'assigned' ? body : undefined;
      },
      { what: 'the assignment', timeoutMs: 30_000 },
    );
    expect(detail.jurisdiction).toMatchObject({ countyCode: '350802', townCode: '350802107' });
    expect(detail.category).toBe('labor');
    expect(detail.reports).toEqual([expect.objectContaining({ disputeId, sourceRef: trackingNo })]);
    const lead = detail.assignments.find((a: { role: string }) => a.role === 'lead');
    expect(lead).toMatchObject({ departmentName: '江山镇司法所' });

    // The applicant follows it on the progress page, confirming with the phone's last four digits.
    await page.locator('#track-link').tap();
    await page.waitForURL(/\/track\?no=/);
    expect(await page.locator('input[name="trackingNo"]').inputValue()).toBe(trackingNo);
    // As a Chinese keyboard types them: full-width digits.
    await page.locator('input[name="phoneLast4"]').fill('１２３４');
    page.on('pageerror', (error) => console.warn('[browser]', error.message));
    // The number and the digits together open the application: they go in a body, never a URL
    // that a proxy in front of the service would log.
    const lookups: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/applications')) lookups.push(`${request.method()} ${request.url()}`);
    });
    let shown = '';
    await eventually(
      async () => {
        await page.getByRole('button', { name: '查询' }).tap();
        // Evaluated in the page (a string, so this Node-typed file needs no DOM types).
        await page.waitForFunction(
          "!document.getElementById('result').hidden || !document.getElementById('track-error').hidden",
        );
        shown = `${await page.locator('#r-status').textContent()} / ${await page.locator('#track-error').textContent()}`;
        return (await page.locator('#r-status').textContent()) === '已分派调解员';
      },
      { what: 'the status on the progress page', timeoutMs: 30_000, intervalMs: 1_000 },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}; the page showed: ${shown}`);
    });
    expect(await page.locator('#r-town').textContent()).toBe('新罗区江山镇');
    expect(new Set(lookups)).toEqual(new Set([`POST ${base}/v1/applications/lookup`]));
    await page.screenshot({ path: join(tmpdir(), 'huijie-wechat-track.png'), fullPage: true });
  });
});
