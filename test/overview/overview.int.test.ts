import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCasesApp } from '@huijie/cases/app.ts';
import { type CasesDb, casesDb, migrateCases } from '@huijie/cases/db/prisma.ts';
import { insertCases } from '@huijie/cases/search/case-fixtures.ts';
import { sweepOverdue } from '@huijie/cases/sla/sla-sweeper.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { chromiumLaunchOptions, requireChromium } from '@huijie/testing/chromium.ts';
import { freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, chinaDay, formatCount } from '../../services/cases/src/overview/public/model.js';
import { seedOverview, writeCase } from './seed.ts';

/**
 * A leader at the wall screen: Debian's headless Chromium opens the one-screen overview served by
 * the cases service on PostgreSQL, signs in, reads the headline figures (the same as the
 * statistics API's), drills down from the city to a county and a town and back, opens an
 * express-lane case with its history, sees a new case arrive without reloading, and saves the
 * README's screenshots at 1920×1080 and 1366×768.
 */
const servers = await requireServers('postgres');
const haveChromium = requireChromium('the overview browser test');

// The README's screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1): every run's dates
// differ, and a test run should not leave the work tree changed. Otherwise they go to test-results/.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const screenshots =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(root, 'docs', 'screenshots') : join(root, 'test-results');
const jwtSecret = 'overview-browser-secret-0123456789abcdef';
const account = { username: 'longyan-leader', password: 'overview-password-1' };

describe.runIf(servers && haveChromium)('the one-screen overview in a browser', () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let base: string;
  let browser: Browser;
  let page: Page;
  let token: string;
  let yangCaseId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    const database = await freshDatabase(servers!.databaseUrl!);
    const sql = postgresClient(database.url, { max: 2 });
    await migrateCases(sql);
    db = casesDb({ kind: 'postgres', url: database.url });
    app = buildCasesApp(
      // One SLA sweep at start (settled below), none during the test: the figures hold still.
      { jwtSecret, slaSweepIntervalMs: 3_600_000 },
      {
        db,
        bus: createEventBus(createEmbeddedEngine(sql), { source: '/test/overview' }),
        logger: createLogger({ service: 'cases', level: 'silent' }),
        metrics: createMetrics('cases'),
      },
    );
    await db.operator.create({
      data: {
        username: account.username,
        passwordHash: await hashPassword(account.password),
        role: 'leader',
        scopeCode: '350800',
      },
    });
    ({ yangCaseId } = await seedOverview(db));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    await startConsuming(app);
    // Overdue history enters the express lane as the sweeper takes it: one level per sweep.
    while ((await sweepOverdue(db, new Date(), 72 * 3600_000)) > 0) {}
    close = async () => {
      await app.close();
      await db.$disconnect();
      await sql.close();
      await database.drop();
    };
    const login = await app.inject({ method: 'POST', url: '/v1/auth/token', payload: account });
    token = login.json().token;

    browser = await chromium.launch(chromiumLaunchOptions);
    const context = await browser.newContext({
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      colorScheme: 'dark',
    });
    page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
  });

  async function api(url: string) {
    const response = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  }

  /** The page's default period: the last 30 days, today included (China time). */
  function period() {
    const to = chinaDay(new Date());
    return `from=${addDays(to, -29)}&to=${to}&compare=previous`;
  }

  async function shownAt(place: string) {
    await page.locator(`#main[data-state="ready"][data-place="${place}"]`).waitFor({ timeout: 20_000 });
    // A panel that could not load says so on the page: fail with its words.
    expect(await page.locator('.panel-error').allTextContents()).toEqual([]);
  }

  const figure = (key: string) => page.locator(`[data-figure="${key}"] .value .number`);

  async function expectHeadlinesOf(place: string) {
    const overview = await api(`/v1/stats/overview?place=${place}&${period()}`);
    const channels = await api(`/v1/stats/breakdown?place=${place}&by=channel&${period()}`);
    const expected: Record<string, number | null> = {
      received: overview.current.received,
      mediated: overview.current.mediated,
      successRate: overview.current.successRate,
      averageResolutionDays: overview.current.averageResolutionDays,
      escalated: overview.current.escalated,
      open: overview.now.open,
      overdue: overview.now.overdue,
    };
    for (const [key, value] of Object.entries(expected)) {
      expect(await figure(key).getAttribute('data-value'), key).toBe(value === null ? '' : String(value));
    }
    expect(await figure('received').textContent()).toBe(formatCount(overview.current.received));
    expect(await figure('successRate').textContent()).toBe(
      overview.current.successRate === null ? '—' : (overview.current.successRate * 100).toFixed(1),
    );
    for (const channel of ['hotline_12345', 'wechat', 'court']) {
      const row = channels.rows.find((r: { key: string }) => r.key === channel);
      expect(
        await page
          .locator(`[data-figure="received"] [data-channel="${channel}"] .number`)
          .getAttribute('data-value'),
        channel,
      ).toBe(String(row?.received ?? 0));
    }
    return overview;
  }

  it('signs in, shows the statistics API’s figures, drills city → county → town and back', async () => {
    await page.goto(`${base}/overview?refresh=5`);
    expect(await page.title()).toBe('一屏统览 · 龙岩市矛盾纠纷多元化解平台');
    // Not signed in: only the form.
    await page.locator('#login-form').waitFor({ state: 'visible' });
    expect(await page.locator('#main').isHidden()).toBe(true);

    await page.getByLabel('账号').fill(account.username);
    await page.getByLabel('密码').fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('#login-error').textContent()).toBe('账号或密码不正确');
    await page.getByLabel('密码').fill(account.password);
    await page.getByRole('button', { name: '登录' }).click();
    await shownAt('350800');
    // The refused sign-in's 401 is the only error the console may have shown.
    expect(problems).toEqual([expect.stringContaining('401')]);
    problems.length = 0;
    // The token is kept for this tab only.
    expect(await page.evaluate("JSON.parse(sessionStorage.getItem('huijie.overview.session')).scope")).toBe(
      '350800',
    );

    const city = await expectHeadlinesOf('350800');
    expect(city.current.received).toBeGreaterThan(20);
    expect(city.now.overdue).toBeGreaterThan(0);

    // The city's tiles: all seven counties, with the breakdown's figures.
    const byPlace = await api(`/v1/stats/breakdown?place=350800&by=place&${period()}`);
    const tiles = page.locator('#tiles .tile');
    expect(await tiles.count()).toBeGreaterThanOrEqual(7);
    for (const row of byPlace.rows.filter((r: { key: string }) => r.key !== '')) {
      const tile = page.locator(`#tiles .tile[data-code="${row.key}"]`);
      expect(await tile.getAttribute('data-received'), row.label).toBe(String(row.received));
      expect(await tile.getAttribute('data-overdue'), row.label).toBe(String(row.overdue));
    }

    // Drill down by mouse to 新罗区…
    await page.getByRole('button', { name: /^新罗区/ }).click();
    await shownAt('350802');
    expect(await page.locator('#crumbs [aria-current="page"]').textContent()).toBe('新罗区');
    await expectHeadlinesOf('350802');
    expect(await page.locator('#tiles .tile').count()).toBeGreaterThanOrEqual(20);
    await page.screenshot({ path: join(tmpdir(), 'huijie-overview-county.png') });

    // …and by keyboard to 江山镇.
    await page.locator('#tiles .tile[data-code="350802107"]').focus();
    await page.keyboard.press('Enter');
    await shownAt('350802107');
    expect(await page.locator('#crumbs [aria-current="page"]').textContent()).toBe('江山镇');
    const town = await expectHeadlinesOf('350802107');
    expect(town.current.mediated).toBeGreaterThanOrEqual(1);
    // The last level lists the town's own cases: Guo's wage claim among them.
    await expect.poll(() => page.locator('#tiles .town-case').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#tiles').textContent()).toContain('江山镇水库大坝维修工资拖欠');
    await page.screenshot({ path: join(tmpdir(), 'huijie-overview-town.png') });

    // Back up a level, then to the city from the breadcrumb.
    await page.getByRole('button', { name: '返回新罗区' }).click();
    await shownAt('350802');
    await page.locator('#crumbs').getByRole('button', { name: '龙岩市', exact: true }).click();
    await shownAt('350800');
    await expectHeadlinesOf('350800');
    expect(problems).toEqual([]);
  });

  it('lists the express lane and opens a case with its history', async () => {
    const escalated = await api(
      '/v1/cases?escalated=true&status=received,triage,assigned,accepted,mediating&limit=100',
    );
    const items = page.locator('#express-list .express-item');
    expect(await items.count()).toBeGreaterThanOrEqual(escalated.items.length);
    // City-level cases first: Yang's among them.
    expect(await items.first().getAttribute('data-level')).toBe('city');
    const first = page.locator(`#express-list .express-item[data-case-id="${yangCaseId}"]`);
    expect(await first.getAttribute('data-level')).toBe('city');
    expect(await first.locator('.level').textContent()).toBe('市委书记');
    // The secretary's SMS names the case by its number (案件编号, the id's first eight characters,
    // as notify renders it): the list and the case show that number, so the message leads here.
    const ref = yangCaseId.slice(0, 8);
    expect(await first.locator('.express-meta').textContent()).toContain(`编号 ${ref}`);

    await first.click();
    const detail = page.locator(`#detail[data-state="ready"][data-case-id="${yangCaseId}"]`);
    await detail.waitFor({ timeout: 10_000 });
    expect(await page.evaluate('document.activeElement?.id')).toBe('detail-close');
    const body = await api(`/v1/cases/${yangCaseId}`);
    const history = page.locator('#history li');
    expect(await history.count()).toBe(body.history.length);
    const types = await history.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-type')));
    expect(types).toEqual(body.history.map((entry: { type: string }) => entry.type));
    expect(types).toContain('repeat_attached');
    expect(types.filter((type) => type === 'escalated').length).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#detail').textContent()).toContain('多次反映未果');
    expect(await page.locator('#detail').textContent()).toContain('永定区公安局');
    expect(await page.locator('#detail .facts').textContent()).toContain(`案件编号${ref}`);
    await page.screenshot({ path: join(screenshots, 'overview-case-1920.png') });

    // Escape closes it and gives the focus back to the list.
    await page.keyboard.press('Escape');
    expect(await page.locator('#detail').isHidden()).toBe(true);
    expect(await page.evaluate('document.activeElement?.dataset.caseId')).toBe(yangCaseId);
    expect(problems).toEqual([]);
  });

  it('picks up a new case by polling, without reloading', async () => {
    await page.evaluate('window.__sameDocument = true');
    const before = Number(await figure('received').getAttribute('data-value'));
    await writeCase(db, {
      town: '350825100',
      channel: 'wechat',
      category: 'neighborhood',
      title: '连城县莲峰镇新来件',
      content: '邻居装修噪音扰民。',
      caller: '13700000009',
      dueInDays: 10,
    });
    await expect
      .poll(async () => Number(await figure('received').getAttribute('data-value')), { timeout: 20_000 })
      .toBe(before + 1);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('saves the screenshots at 1920×1080 and 1366×768', async () => {
    mkdirSync(screenshots, { recursive: true });
    await shownAt('350800');
    // As a wall screen shows it: no focus ring, lists at their top.
    await page.evaluate(
      "document.activeElement?.blur(); document.getElementById('express-list').scrollTop = 0",
    );
    // Nothing sideways at either size.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1920);
    await page.screenshot({ path: join(screenshots, 'overview-1920.png') });

    await page.setViewportSize({ width: 1366, height: 768 });
    await page.locator('#refresh').click();
    await shownAt('350800');
    await page.evaluate('document.activeElement?.blur()');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1366);
    await page.screenshot({ path: join(screenshots, 'overview-1366.png') });
    await page.screenshot({ path: join(screenshots, 'overview-1366-full.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('has no accessibility violations (axe-core: contrast, names, roles), signed out, at the city, a county, a town, a case', async () => {
    const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    const audit = async (what: string) => {
      // Evaluated through the DevTools protocol, which the page's CSP does not govern.
      const violations = (await page.evaluate(
        `${axeSource}; axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
          .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`,
      )) as string[];
      expect(violations, what).toEqual([]);
    };
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.locator('#refresh').click();
    await shownAt('350800');
    await audit('the city');
    await page.getByRole('button', { name: /^永定区/ }).click();
    await shownAt('350803');
    await audit('a county');
    await page.locator('#tiles .tile[data-code="350803102"]').click();
    await shownAt('350803102');
    await audit('a town');
    await page.locator('#express-list .express-item').first().click();
    await page.locator('#detail[data-state="ready"]').waitFor();
    await audit('a case');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '退出' }).click();
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await audit('the sign-in form');
    await page.screenshot({ path: join(tmpdir(), 'huijie-overview-sign-in.png') });
    expect(await page.evaluate("sessionStorage.getItem('huijie.overview.session')")).toBeNull();
  });

  it('lists every open express-lane case, a new city-level one too, when more than a page of older ones are open', async () => {
    // 150 township escalations from two months ago, still open, then one escalated to the city
    // secretary today: the list puts city-level cases first, so it must not be cut to the oldest 100.
    const old = Date.now() - 60 * 86_400_000;
    await insertCases(
      db,
      Array.from({ length: 150 }, (_, i) => ({
        county: '350802',
        town: '350802107',
        names: ['龙岩市', '新罗区', '江山镇'],
        status: 'mediating',
        expressLevel: 'township',
        title: `积案${i}`,
        createdAt: new Date(old + i * 60_000),
      })),
    );
    const [cityCase] = await insertCases(db, [
      {
        county: '350802',
        town: '350802100',
        names: ['龙岩市', '新罗区', '红坊镇'],
        status: 'accepted',
        expressLevel: 'city',
        title: '今日直报市委书记',
        createdAt: new Date(),
      },
    ]);
    await page.getByLabel('账号').fill(account.username);
    await page.getByLabel('密码').fill(account.password);
    await page.getByRole('button', { name: '登录' }).click();
    await shownAt('350800');
    const item = page.locator(`#express-list .express-item[data-case-id="${cityCase}"]`);
    expect(await item.count()).toBe(1);
    expect(await item.getAttribute('data-level')).toBe('city');
    const escalatedOpen = await api(
      '/v1/cases?escalated=true&status=received,triage,assigned,accepted,mediating&limit=200',
    );
    expect(await page.locator('#express-list .express-item').count()).toBeGreaterThanOrEqual(
      escalatedOpen.items.length,
    );
  });

  it("shows titles on the wall screen without a mobile, an ID-card number or a confidential (保密) caller's name: the express lane, a town's cases", async () => {
    const secrets = ['郭建华', '13600001111', '350802198501011234'];
    const caseId = await writeCase(db, {
      town: '350802107',
      channel: 'hotline_12345',
      category: 'labor',
      title: '郭建华反映欠薪，回拨13600001111，身份证350802198501011234',
      content: '我叫郭建华，在江山镇修水库，包工头欠我工钱',
      caller: '13600001111',
      confidentialCaller: '郭建华',
      major: { level: 'township', reason: '群体性欠薪' },
      dueInDays: 5,
    });
    const masked = '[保密当事人]反映欠薪，回拨[手机号]，身份证[身份证号]';
    await page.locator('#refresh').click();
    await shownAt('350800');
    const item = page.locator(`#express-list .express-item[data-case-id="${caseId}"]`);
    expect(await item.locator('.express-title').textContent()).toBe(masked);
    const lane = (await page.locator('#express-list').textContent()) ?? '';
    for (const secret of secrets) expect(lane).not.toContain(secret);

    await page.getByRole('button', { name: /^新罗区/ }).click();
    await shownAt('350802');
    await page.locator('#tiles .tile[data-code="350802107"]').click();
    await shownAt('350802107');
    const town = page.locator(`#tiles .town-case[data-case-id="${caseId}"]`);
    expect(await town.locator('.express-title').textContent()).toBe(masked);
    const tiles = (await page.locator('#tiles').textContent()) ?? '';
    for (const secret of secrets) expect(tiles).not.toContain(secret);
    // Opened, the case's panel shows the title and the caller's words masked alike.
    await item.click();
    await page.locator(`#detail[data-state="ready"][data-case-id="${caseId}"]`).waitFor({ timeout: 10_000 });
    const panel = (await page.locator('#detail').textContent()) ?? '';
    expect(panel).toContain('我叫[保密当事人]，在江山镇修水库');
    for (const secret of secrets) expect(panel).not.toContain(secret);
    await page.locator('#detail-close').click();
    // The operators' own search still reads what the caller said.
    const listed = await api(`/v1/cases?ref=${caseId.slice(0, 8)}`);
    expect(listed.items[0].title).toBe('郭建华反映欠薪，回拨13600001111，身份证350802198501011234');
    expect(problems).toEqual([]);
  });
});
