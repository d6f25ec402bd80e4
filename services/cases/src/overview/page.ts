import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGazetteerData } from '@huijie/routing/domain/gazetteer.ts';
import {
  categoryLabels,
  channelLabels,
  departmentKindLabels,
  levelLabels,
  outcomeLabels,
  severityLabels,
  statusLabels,
  urgencyLabels,
} from '../stats/labels.ts';

/** What the page fetches besides itself: its own files, and Chart.js's prebuilt browser bundle. */
export const overviewAssetNames = ['overview.css', 'app.js', 'model.js', 'chart.umd.min.js'] as const;
export type OverviewAssetName = (typeof overviewAssetNames)[number];

const publicDir = join(dirname(fileURLToPath(import.meta.url)), 'public');

function assetPath(name: OverviewAssetName): string {
  if (name === 'chart.umd.min.js') {
    // chart.js does not export its dist folder; its main entry lives there.
    return join(dirname(fileURLToPath(import.meta.resolve('chart.js'))), 'chart.umd.min.js');
  }
  return join(publicDir, name);
}

const types: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}
const assets = new Map<OverviewAssetName, Asset>();

/** One of the page's files, read once. */
export function loadOverviewAsset(name: OverviewAssetName): Asset {
  let asset = assets.get(name);
  if (!asset) {
    const body = readFileSync(assetPath(name));
    asset = {
      body,
      type: types[name.slice(name.lastIndexOf('.') + 1)]!,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    };
    assets.set(name, asset);
  }
  return asset;
}

/** The labels and the city's divisions the page needs, so it can name every place, even those without cases. */
export function overviewBootData(cityCode = '350800') {
  const gazetteer = loadGazetteerData(cityCode);
  return {
    city: gazetteer.city,
    counties: gazetteer.counties,
    towns: gazetteer.towns,
    labels: {
      status: statusLabels,
      channel: channelLabels,
      category: categoryLabels,
      severity: severityLabels,
      level: levelLabels,
      outcome: outcomeLabels,
      departmentKind: departmentKindLabels,
      urgency: urgencyLabels,
    },
  };
}

let cachedBoot: string | undefined;
const bootJson = () => {
  // `<` escaped so that no value can close the data block.
  cachedBoot ??= JSON.stringify(overviewBootData()).replace(/</g, '\\u003c');
  return cachedBoot;
};

const version = (name: OverviewAssetName) => loadOverviewAsset(name).etag.slice(1, 9);

/** The page: a shell the script fills in; nothing inline runs (the CSP allows only the page's own files). */
export function renderOverviewPage(): { html: string; contentSecurityPolicy: string } {
  const src = (name: OverviewAssetName) => `/overview/assets/${name}?v=${version(name)}`;
  const html = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="dark">
<link rel="icon" href="data:,">
<title>一屏统览 · 龙岩市矛盾纠纷多元化解平台</title>
<link rel="stylesheet" href="${src('overview.css')}">
<script type="application/json" id="boot">${bootJson()}</script>
<script src="${src('chart.umd.min.js')}" defer></script>
<script type="module" src="${src('app.js')}"></script>
</head>
<body>
<a class="skip" id="skip" href="#main">跳到主要内容</a>
<header class="top">
  <div class="brand">
    <h1>一屏统览</h1>
    <p>龙岩市矛盾纠纷多元化解平台 · 汇解</p>
  </div>
  <nav class="crumbs" id="crumbs" aria-label="辖区层级" hidden></nav>
  <div class="controls" id="controls" hidden>
    <label>统计周期
      <select id="period">
        <option value="7">近7天</option>
        <option value="30" selected>近30天</option>
        <option value="90">近90天</option>
        <option value="month">本月</option>
        <option value="year">本年</option>
      </select>
    </label>
    <label>对比
      <select id="compare">
        <option value="previous" selected>环比上期</option>
        <option value="year">同比去年</option>
      </select>
    </label>
    <button type="button" id="refresh" class="ghost">刷新</button>
    <span class="updated" id="updated" role="status" aria-live="polite"></span>
    <span class="who" id="who"></span>
    <button type="button" id="logout" class="ghost">退出</button>
  </div>
</header>

<main class="login" id="login" aria-labelledby="login-title" tabindex="-1" hidden>
  <form id="login-form" novalidate>
    <h2 id="login-title">操作员登录</h2>
    <p class="hint">使用平台操作员账号登录，仅显示本人辖区的数据。</p>
    <label for="username">账号</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password">密码</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <p class="error" id="login-error" role="alert"></p>
    <button type="submit" id="login-submit">登录</button>
  </form>
</main>

<main id="main" tabindex="-1" hidden>
  <p class="period-line" id="period-line"></p>
  <section class="kpis" aria-labelledby="kpi-title">
    <h2 id="kpi-title" class="sr-only">核心指标</h2>
    <div class="kpi-grid" id="kpis"></div>
  </section>

  <div class="board">
    <section class="panel map" aria-labelledby="map-title">
      <div class="panel-head">
        <h2 id="map-title">辖区态势</h2>
        <div class="toggle" role="group" aria-label="着色依据">
          <button type="button" data-metric="received" aria-pressed="true">按受理量</button>
          <button type="button" data-metric="overdueRate" aria-pressed="false">按超期率</button>
        </div>
      </div>
      <p class="hint" id="map-hint"></p>
      <div class="tiles" id="tiles" role="list" aria-label="下级辖区"></div>
      <div class="legend" id="legend" aria-hidden="true"></div>
    </section>

    <section class="panel trends" aria-labelledby="trend-title">
      <div class="panel-head"><h2 id="trend-title">趋势</h2><span class="hint" id="trend-hint"></span></div>
      <figure class="chart tall">
        <div class="canvas-box"><canvas id="chart-trend" role="img" aria-label="受理与办结趋势"></canvas></div>
      </figure>
      <div class="chart-pair">
        <figure class="chart"><figcaption>分渠道受理</figcaption>
          <div class="canvas-box"><canvas id="chart-channel" role="img" aria-label="分渠道受理趋势"></canvas></div></figure>
        <figure class="chart"><figcaption>主要纠纷类型</figcaption>
          <div class="canvas-box"><canvas id="chart-category" role="img" aria-label="主要纠纷类型受理趋势"></canvas></div></figure>
      </div>
    </section>

    <section class="panel express" aria-labelledby="express-title">
      <div class="panel-head"><h2 id="express-title">书记直通车</h2><span class="hint" id="express-hint"></span></div>
      <ul class="express-list" id="express-list"></ul>
    </section>

    <section class="panel categories" aria-labelledby="cat-title" tabindex="0">
      <div class="panel-head"><h2 id="cat-title">纠纷类型 TOP</h2></div>
      <table class="data" id="categories"><caption class="sr-only">本期受理最多的纠纷类型</caption>
        <thead><tr><th scope="col">类型</th><th scope="col" class="num">受理</th><th scope="col" class="num">较上期</th><th scope="col" class="num">成功率</th><th scope="col" class="bar-col"><span class="sr-only">占比</span></th></tr></thead>
        <tbody></tbody></table>
    </section>

    <section class="panel departments" aria-labelledby="dept-title" tabindex="0">
      <div class="panel-head"><h2 id="dept-title">超期最多的部门</h2><span class="hint" id="dept-hint"></span></div>
      <table class="data" id="departments"><caption class="sr-only">在办超期案件最多的部门</caption>
        <thead><tr><th scope="col">部门</th><th scope="col" class="num">超期在办</th><th scope="col" class="num">最长超期</th></tr></thead>
        <tbody></tbody></table>
    </section>
  </div>
</main>

<div class="scrim" id="scrim" hidden></div>
<div class="detail" id="detail" role="dialog" aria-modal="true" aria-labelledby="detail-title" hidden>
  <div class="detail-head">
    <h2 id="detail-title">案件详情</h2>
    <button type="button" id="detail-close" class="ghost" aria-label="关闭案件详情">关闭</button>
  </div>
  <div id="detail-body" class="detail-body" tabindex="0" aria-labelledby="detail-title"></div>
</div>
</body>
</html>
`;
  const contentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "font-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";
  return { html, contentSecurityPolicy };
}
