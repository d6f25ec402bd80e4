import { chromiumLaunchOptions, requireChromium } from '@huijie/testing/chromium.ts';
import type { FastifyInstance } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { trackingNoFor } from '../src/application/application.ts';
import { applicantLinks } from '../src/wechat/applicant-link.ts';
import { testApp, testWechat } from './support.ts';

/**
 * A citizen in a hurry on a small phone (375×667): the form must never lose what was typed,
 * never file twice, and every message must say what to do next. The service runs on memory
 * stores and a recording bus; the network's failures are made with Playwright's routing.
 */
const haveChromium = requireChromium('the WeChat form in-a-hurry browser tests');

describe.runIf(haveChromium)('the WeChat form, used in a hurry', () => {
  let service: ReturnType<typeof testApp>;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  // The service's clock, moved forward by a test: a form left open for weeks.
  let clockAheadMs = 0;

  beforeAll(async () => {
    service = testApp({ now: () => new Date(Date.now() + clockAheadMs) });
    app = service.app;
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch(chromiumLaunchOptions);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  beforeEach(async () => {
    service.published.length = 0;
    service.state.failing = false;
    service.state.delayMs = 0;
    clockAheadMs = 0;
    context = await browser.newContext({
      viewport: { width: 375, height: 667 },
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
    });
    page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
  });
  afterEach(async () => {
    await context?.close();
  });

  const description = '我在江山镇修水库大坝干了19天，老板一直不给工资，共3800元。';
  const typed = {
    'applicant.name': '郭某',
    'applicant.phone': '13800001234',
    'respondent.name': '水库工程包工头',
    description,
  };
  async function fillIn(query = '') {
    await page.goto(`${base}/apply?town=350802107${query}`);
    for (const [name, text] of Object.entries(typed)) await page.locator(`[name="${name}"]`).fill(text);
    await page.locator('input[name="agreed"]').check();
  }
  const submit = () => page.getByRole('button', { name: '提交申请' }).tap();
  async function generalMessage() {
    await page.locator('#general-error').waitFor({ state: 'visible' });
    return (await page.locator('#general-error').textContent()) ?? '';
  }
  /** Everything the citizen typed is still in the form. */
  async function expectStillTyped(changes: Record<string, string> = {}) {
    for (const [name, text] of Object.entries({ ...typed, ...changes }))
      expect(await page.locator(`[name="${name}"]`).inputValue(), name).toBe(text);
    expect(await page.locator('input[name="agreed"]').isChecked()).toBe(true);
  }
  const intakes = () => service.published.filter((event) => event.name === 'dispute.intake.v1');

  it('an edit after an answer lost on the way (409) keeps the form and names the application already filed', async () => {
    await fillIn();
    // The first send reaches the service, which files it; the answer never reaches the phone.
    await page.route(
      '**/v1/applications',
      async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      },
      { times: 1 },
    );
    await submit();
    expect(await generalMessage()).toContain('您填写的内容还在');
    expect(intakes()).toHaveLength(1);

    // The citizen adds a detail and sends again.
    await page.locator('textarea[name="description"]').fill(`${description}已多次催要。`);
    await submit();
    const submissionId = await page.locator('input[name="submissionId"]').inputValue();
    await expect.poll(generalMessage).toContain(trackingNoFor(submissionId));
    const message = await generalMessage();
    expect(message).not.toContain('刷新');
    await expectStillTyped({ description: `${description}已多次催要。` });

    // Tapping again files nothing new: still the one application.
    await submit();
    await expect.poll(generalMessage).toContain(trackingNoFor(submissionId));
    expect(intakes()).toHaveLength(1);
  });

  it('back from the progress page, the form the browser restores is the same application, not a second', async () => {
    await fillIn();
    await submit();
    // The tap does not wait for the answer: the tracking number is there once the page says done.
    await page.locator('#done').waitFor({ state: 'visible' });
    const trackingNo = (await page.locator('#tracking-no').textContent())!;
    expect(trackingNo).toMatch(/^WX/);
    await page.locator('#track-link').tap();
    await page.waitForURL(/\/track\?no=/);
    await page.goBack();
    // The browser brings the filled form back; thinking it was not sent, the citizen taps again.
    await expectStillTyped();
    await submit();
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(await page.locator('#tracking-no').textContent()).toBe(trackingNo);
    expect(intakes()).toHaveLength(1);
  });

  it('opened from the account weeks ago, the form still files, and says progress will not come on WeChat', async () => {
    const link = applicantLinks(`${testWechat.appId}:${testWechat.token}`).sign('oGuo123', new Date());
    await fillIn(`&wx=${encodeURIComponent(link)}`);
    clockAheadMs = 31 * 24 * 3600 * 1000;
    await submit();
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(await page.locator('#tracking-no').textContent()).toMatch(/^WX/);
    expect(await page.locator('#done-notice').textContent()).toContain('不会通过公众号消息通知您');
    expect(await page.locator('#wechat-updates').isHidden()).toBe(true);
    expect(intakes()).toHaveLength(1);
  });

  it('opened from the account today, the form says progress will come on WeChat', async () => {
    const link = applicantLinks(`${testWechat.appId}:${testWechat.token}`).sign('oGuo123', new Date());
    await fillIn(`&wx=${encodeURIComponent(link)}`);
    await submit();
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(await page.locator('#wechat-updates').isVisible()).toBe(true);
    expect(await page.locator('#done-notice').isHidden()).toBe(true);
  });
});
