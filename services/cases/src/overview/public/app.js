// The one-screen overview (一屏统览): signs in, then reads the statistics and search APIs of the
// operator's jurisdiction and refreshes itself every 30 seconds. Plain browser JavaScript, no build.
import {
  ageDays,
  caseRef,
  daysBetween,
  describeChange,
  dimensionIntervalFor,
  expressList,
  formatCount,
  formatDays,
  formatRate,
  intervalFor,
  levelOf,
  overdueByDepartment,
  parentOf,
  pathTo,
  periodFor,
  receivedAgo,
  seriesByKey,
  shade,
  tilesOf,
  translateNote,
} from './model.js';

const boot = JSON.parse(document.getElementById('boot').textContent);
const labels = boot.labels;
// Every 30 s; `?refresh=N` (seconds, at least 5) for a wall screen that wants it faster, or a test.
const pollMs = Math.max(5, Number(new URLSearchParams(location.search).get('refresh')) || 30) * 1000;
const sessionKey = 'huijie.overview.session';
const openStatuses = 'received,triage,assigned,accepted,mediating';

const names = new Map([[boot.city.code, boot.city.name], ...boot.counties, ...boot.towns]);
const placeName = (code) => names.get(code) ?? code;

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

const timeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const clockFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const when = (iso) => (iso ? timeFormat.format(new Date(iso)) : '—');

// ── session ──────────────────────────────────────────────────────────────

const state = {
  session: null,
  place: null,
  metric: 'received',
  tiles: null,
  seq: 0,
  timer: null,
  charts: {},
  detailOpener: null,
};

function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(sessionKey) ?? 'null');
    if (saved && saved.expiresAt > Date.now()) return saved;
  } catch {}
  sessionStorage.removeItem(sessionKey);
  return null;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${state.session.token}`, accept: 'application/json' },
  });
  if (response.status === 401) {
    signOut('登录已过期，请重新登录。');
    throw new ApiError(401, '未登录');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

async function signIn(event) {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  const error = $('login-error');
  if (!username || !password) {
    error.textContent = '请输入账号和密码';
    (username ? $('password') : $('username')).focus();
    return;
  }
  $('login-submit').disabled = true;
  error.textContent = '';
  try {
    const response = await fetch('/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      error.textContent = response.status === 401 ? '账号或密码不正确' : '登录失败，请稍后再试';
      $('password').select();
      return;
    }
    const session = {
      token: body.token,
      scope: body.scope,
      role: body.role,
      username,
      expiresAt: Date.now() + body.expiresIn * 1000 - 60_000,
    };
    sessionStorage.setItem(sessionKey, JSON.stringify(session));
    $('password').value = '';
    start(session);
  } catch {
    error.textContent = '无法连接服务器，请稍后再试';
  } finally {
    $('login-submit').disabled = false;
  }
}

function signOut(message = '') {
  sessionStorage.removeItem(sessionKey);
  state.session = null;
  clearTimeout(state.timer);
  closeDetail();
  $('main').hidden = true;
  $('controls').hidden = true;
  $('crumbs').hidden = true;
  $('login').hidden = false;
  $('skip').setAttribute('href', '#login');
  $('login-error').textContent = message;
  $('username').focus();
}

function start(session) {
  state.session = session;
  state.place = session.scope;
  $('login').hidden = true;
  $('skip').setAttribute('href', '#main');
  $('main').hidden = false;
  $('controls').hidden = false;
  $('crumbs').hidden = false;
  $('who').textContent = `${session.username} · ${placeName(session.scope)}`;
  refresh({ focus: $('main') });
}

// ── refresh ──────────────────────────────────────────────────────────────

function periodQuery() {
  const period = periodFor($('period').value, new Date());
  return { ...period, compare: $('compare').value, days: daysBetween(period.from, period.to) + 1 };
}

const qs = (params) =>
  new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined)).toString();

/** Loads and draws every panel; a panel that fails says so and the others still show. */
async function refresh({ focus } = {}) {
  if (!state.session) return;
  clearTimeout(state.timer);
  const seq = ++state.seq;
  const main = $('main');
  main.setAttribute('aria-busy', 'true');
  main.dataset.state = 'loading';
  const place = state.place;
  const period = periodQuery();
  const base = { place, from: period.from, to: period.to, compare: period.compare };
  const current = () => seq === state.seq;
  renderCrumbs(place);
  $('period-line').textContent =
    `${placeName(place)} · ${period.from} 至 ${period.to}（${period.days} 天）· ` +
    `${period.compare === 'year' ? '同比去年同期' : '环比上一周期'}`;

  const panels = [
    panel('kpis', async () => {
      const [overview, channels] = await Promise.all([
        api(`/v1/stats/overview?${qs(base)}`),
        api(`/v1/stats/breakdown?${qs({ ...base, by: 'channel' })}`),
      ]);
      if (current()) renderKpis(overview, channels);
    }),
    panel('tiles', async () => {
      if (levelOf(place) === 'town') {
        // The last level: the town's own cases instead of tiles.
        const recent = await api(`/v1/cases?${qs({ place, sort: 'newest', limit: 30, titles: 'masked' })}`);
        if (current()) {
          state.tiles = null;
          renderTownCases(place, recent.items, Boolean(recent.nextCursor));
        }
        return;
      }
      const rows = (await api(`/v1/stats/breakdown?${qs({ ...base, by: 'place' })}`)).rows;
      if (current()) {
        state.tiles = { place, rows };
        renderTiles(place, rows);
      }
    }),
    panel('chart-trend', async () => {
      const body = await api(`/v1/stats/trend?${qs({ ...base, interval: intervalFor(period.days) })}`);
      if (current()) renderTrend(body);
    }),
    panel('chart-channel', async () => {
      const interval = dimensionIntervalFor(period.days);
      const trend = await api(`/v1/stats/trend?${qs({ ...base, interval })}`);
      const buckets = trend.series.map((bucket) => ({ from: bucket.from, to: bucket.to }));
      const [byChannel, byCategory] = await Promise.all(
        ['channel', 'category'].map((by) =>
          Promise.all(
            buckets.map((bucket) =>
              api(`/v1/stats/breakdown?${qs({ ...base, from: bucket.from, to: bucket.to, by })}`),
            ),
          ),
        ),
      );
      if (current()) renderDimensionTrends(buckets, byChannel, byCategory);
    }),
    panel('categories', async () => {
      const body = await api(`/v1/stats/breakdown?${qs({ ...base, by: 'category' })}`);
      if (current()) renderCategories(body);
    }),
    panel('departments', async () => {
      const cases = [];
      let cursor;
      let pages = 0;
      do {
        const page = await api(
          `/v1/cases?${qs({ place, overdue: 'true', sort: 'due', limit: 200, cursor })}`,
        );
        cases.push(...page.items);
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor && pages < 5);
      if (current()) renderDepartments(cases, Boolean(cursor));
    }),
    panel('express-list', async () => {
      // Every page (up to 1,000 cases each): the list puts the highest level first, so a page of the
      // oldest cases alone would leave out a city-level case escalated today.
      const all = async (filter) => {
        const items = [];
        let cursor;
        let pages = 0;
        do {
          const query = { place, ...filter, status: openStatuses, sort: 'oldest', limit: 200, cursor };
          const page = await api(`/v1/cases?${qs({ ...query, titles: 'masked' })}`);
          items.push(...page.items);
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor && pages < 5);
        return { items, more: Boolean(cursor) };
      };
      const [escalated, major] = await Promise.all([all({ escalated: 'true' }), all({ severity: 'major' })]);
      if (current()) {
        renderExpress(expressList(escalated.items, major.items), escalated.more || major.more);
      }
    }),
  ];
  await Promise.all(panels);
  if (!current() || !state.session) return;
  main.setAttribute('aria-busy', 'false');
  main.dataset.state = 'ready';
  main.dataset.place = place;
  $('updated').textContent = `更新于 ${clockFormat.format(new Date())}`;
  focus?.focus();
  schedule();
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    // A hidden tab does not poll; it catches up when shown again.
    if (document.visibilityState === 'visible') refresh();
    else schedule();
  }, pollMs);
}

async function panel(id, work) {
  const target = $(id);
  const box = target.closest('.panel, .kpis');
  try {
    await work();
    box?.querySelector('.panel-error')?.remove();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    if (box && !box.querySelector('.panel-error')) {
      box.append(el('p', { class: 'panel-error', role: 'alert' }, `加载失败：${error.message}`));
    }
  }
}

// ── headline figures ───────────────────────────────────────────────────────

function changeNode(change, kind, better) {
  const described = describeChange(change, kind, better);
  return el(
    'span',
    { class: `change ${described.tone}`, title: described.spoken },
    el('span', { 'aria-hidden': 'true' }, described.text),
    el('span', { class: 'sr-only' }, described.spoken),
  );
}

function kpi(key, title, value, unit, value_raw, extra = {}) {
  return el(
    'article',
    { class: `kpi${extra.alert ? ' alert' : ''}`, dataset: { figure: key }, 'aria-label': title },
    el('h3', {}, title),
    el(
      'p',
      { class: 'value' },
      el('span', { class: 'number', dataset: { value: value_raw === null ? '' : String(value_raw) } }, value),
      unit ? el('span', { class: 'unit' }, unit) : null,
    ),
    extra.change ?? null,
    extra.sub ? el('p', { class: 'sub' }, extra.sub) : null,
  );
}

function renderKpis(overview, channels) {
  const { current, change, now } = overview;
  const channelList = el(
    'ul',
    { class: 'channels', 'aria-label': '分渠道受理' },
    Object.keys(labels.channel).map((channel) => {
      const row = channels.rows.find((r) => r.key === channel);
      return el(
        'li',
        { dataset: { channel } },
        el('span', { class: 'channel-name' }, shortChannel(channel)),
        el(
          'span',
          { class: 'number', dataset: { value: String(row?.received ?? 0) } },
          formatCount(row?.received ?? 0),
        ),
        changeNode(row?.change, 'count', null),
      );
    }),
  );
  const lane = overview.expressLane.map((l) => `${shortLevel(l.level)} ${l.cases}`).join(' · ');
  const grid = $('kpis');
  grid.replaceChildren(
    kpi('received', '受理纠纷', formatCount(current.received), '件', current.received, {
      change: changeNode(change.received, 'count', null),
      sub: channelList,
    }),
    kpi('open', '在办', formatCount(now.open), '件', now.open, {
      sub: `${now.openByStatus
        .filter((s) => s.cases > 0)
        .map((s) => `${s.label} ${s.cases}`)
        .join(' · ')}`,
    }),
    kpi('mediated', '化解成功', formatCount(current.mediated), '件', current.mediated, {
      change: changeNode(change.mediated, 'count', 'up'),
      sub: `办结 ${current.ended} 件（未化解 ${current.notMediated}，撤回 ${current.withdrawn}）`,
    }),
    kpi(
      'successRate',
      '调解成功率',
      current.successRate === null ? '—' : (current.successRate * 100).toFixed(1),
      current.successRate === null ? '' : '%',
      current.successRate,
      { change: changeNode(change.successRate, 'rate', 'up'), sub: '调解成功 / 本期办结' },
    ),
    kpi(
      'averageResolutionDays',
      '平均化解用时',
      formatDays(current.averageResolutionDays),
      current.averageResolutionDays === null ? '' : '天',
      current.averageResolutionDays,
      {
        change: changeNode(change.averageResolutionDays, 'days', 'down'),
        sub: `中位 ${formatDays(current.medianResolutionDays)} 天`,
      },
    ),
    kpi('overdue', '超期在办', formatCount(now.overdue), '件', now.overdue, {
      alert: now.overdue > 0,
      sub: now.open > 0 ? `占在办 ${formatRate(now.overdue / now.open)}` : '无在办案件',
    }),
    kpi('escalated', '书记直通车', formatCount(current.escalated), '件', current.escalated, {
      change: changeNode(change.escalated, 'count', null),
      sub: `本期进入：${lane}；在办 ${now.escalatedOpen} 件`,
    }),
  );
}

const shortChannel = (channel) =>
  ({ hotline_12345: '12345热线', wechat: '微信', court: '法院' })[channel] ??
  labels.channel[channel] ??
  channel;
const shortLevel = (level) => ({ township: '乡镇', county: '县级', city: '市级' })[level] ?? level;

// ── jurisdiction tiles (drill-down) ──────────────────────────────────────

function renderCrumbs(place) {
  const scope = state.session.scope;
  const path = pathTo(scope, place);
  const list = el('ol');
  path.forEach((code, i) => {
    const last = i === path.length - 1;
    list.append(
      el(
        'li',
        {},
        last
          ? el('span', { 'aria-current': 'page' }, placeName(code))
          : el('button', { type: 'button', class: 'link', onclick: () => goTo(code) }, placeName(code)),
      ),
    );
  });
  const up = parentOf(scope, place);
  const back = up
    ? el(
        'button',
        { type: 'button', class: 'ghost back', id: 'back', onclick: () => goTo(up) },
        `返回${placeName(up)}`,
      )
    : null;
  $('crumbs').replaceChildren(...[list, back].filter(Boolean));
}

function goTo(code) {
  state.place = code;
  closeDetail();
  refresh({ focus: $('tiles').closest('.panel').querySelector('h2') });
}

function renderTiles(place, rows) {
  const tiles = tilesOf(place, boot, rows);
  const metric = state.metric;
  const metricOf = (tile) => (metric === 'received' ? tile.received : tile.overdueRate);
  const max = Math.max(0, ...tiles.map((tile) => metricOf(tile) ?? 0));
  const level = levelOf(place);
  const focused = document.activeElement?.closest?.('.tile')?.dataset.code;
  $('map-hint').textContent =
    `${level === 'city' ? '各县（市、区）' : '各乡镇（街道）'}，颜色越深${metric === 'received' ? '受理越多' : '超期率越高'}；点击进入下一级。`;
  document.querySelector('.map .toggle').hidden = false;
  const container = $('tiles');
  container.className = `tiles ${level === 'county' ? 'towns' : 'counties'} metric-${metric}`;
  container.replaceChildren(
    ...tiles.map((tile) => {
      const step = shade(metricOf(tile), max);
      // The button's name is its visible text, spelled out for screen readers where it is terse.
      const body = [
        el('span', { class: 'tile-name' }, tile.name, el('span', { class: 'sr-only' }, '：')),
        el(
          'span',
          { class: 'tile-main' },
          el('span', { class: 'sr-only' }, '受理 '),
          el('b', {}, formatCount(tile.received)),
          ' 件',
        ),
        el(
          'span',
          { class: 'tile-sub' },
          `在办 ${tile.open} · 超期 ${tile.overdue}`,
          tile.received > 0 || tile.change.delta ? changeNode(tile.change, 'count', null) : null,
        ),
        tile.drillable ? el('span', { class: 'sr-only' }, '，进入下一级') : null,
      ];
      const attrs = {
        class: `tile shade-${step}${tile.code === '' ? ' rest' : ''}`,
        dataset: { code: tile.code, received: String(tile.received), overdue: String(tile.overdue) },
      };
      const node = tile.drillable
        ? el('button', { ...attrs, type: 'button', onclick: () => goTo(tile.code) }, body)
        : el('div', { ...attrs, tabindex: '0' }, body);
      return el('div', { role: 'listitem', class: 'tile-cell' }, node);
    }),
  );
  if (focused !== undefined) container.querySelector(`.tile[data-code="${focused}"]`)?.focus();
  const legend = $('legend');
  legend.className = `legend metric-${metric}`;
  legend.replaceChildren(
    el('span', {}, metric === 'received' ? '少' : '低'),
    ...[0, 1, 2, 3, 4, 5].map((step) => el('i', { class: `shade-${step}` })),
    el('span', {}, metric === 'received' ? '多' : '高'),
  );
}

function renderTownCases(place, items, more) {
  const now = new Date();
  document.querySelector('.map .toggle').hidden = true;
  $('map-hint').textContent =
    `${placeName(place)}是最末一级：本乡镇（街道）最近受理的案件${more ? `（最新 ${items.length} 件）` : ''}。`;
  const container = $('tiles');
  container.className = 'tiles town-cases';
  container.replaceChildren(
    ...items.map((item) =>
      el(
        'div',
        { role: 'listitem' },
        el(
          'button',
          {
            type: 'button',
            class: 'town-case',
            dataset: { caseId: item.caseId },
            onclick: (event) => openDetail(item.caseId, event.currentTarget),
          },
          el('span', { class: 'express-title' }, caseHeading(item)),
          el(
            'span',
            { class: 'express-meta' },
            `${labels.status[item.status] ?? item.status} · ${shortChannel(item.channel)} · ${receivedAgo(item.createdAt, now)}受理`,
            item.expressLevel
              ? el('span', { class: `level level-${item.expressLevel}` }, labels.level[item.expressLevel])
              : null,
            item.overdue ? el('span', { class: 'overdue-tag' }, '超期') : null,
          ),
          el('span', { class: 'sr-only' }, '，查看详情'),
        ),
      ),
    ),
  );
  if (items.length === 0) container.append(el('p', { class: 'empty' }, '本乡镇（街道）暂无案件。'));
  $('legend').replaceChildren();
}

// ── charts ───────────────────────────────────────────────────────────────

const palette = ['#4ea1ff', '#f5a524', '#36c78b', '#e86aa6', '#a58bff', '#5fd3e6', '#ff7b61'];

function chartDefaults() {
  const Chart = window.Chart;
  Chart.defaults.color = '#c7d3e0';
  Chart.defaults.borderColor = 'rgba(199, 211, 224, 0.14)';
  Chart.defaults.font.family = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';
  Chart.defaults.font.size = 13;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
}

function drawChart(id, config, summary) {
  const canvas = $(id);
  canvas.setAttribute('aria-label', summary);
  const existing = state.charts[id];
  if (existing) {
    existing.data = config.data;
    existing.update();
    return;
  }
  state.charts[id] = new window.Chart(canvas, config);
}

const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

function renderTrend(body) {
  const xs = body.series.map((b) => (body.interval === 'day' ? b.start.slice(5) : `${b.from.slice(5)}起`));
  const total = body.series.reduce((sum, b) => sum + b.received, 0);
  const ended = body.series.reduce((sum, b) => sum + b.ended, 0);
  const peak = body.series.reduce((best, b) => (b.received > (best?.received ?? -1) ? b : best), null);
  const unit = { day: '每日', week: '每周', month: '每月' }[body.interval];
  $('trend-hint').textContent = `${unit}受理、办结，虚线为对比期受理`;
  drawChart(
    'chart-trend',
    {
      type: 'line',
      data: {
        labels: xs,
        datasets: [
          {
            label: '受理',
            data: body.series.map((b) => b.received),
            borderColor: palette[0],
            backgroundColor: 'rgba(78,161,255,.18)',
            fill: true,
            tension: 0.3,
            pointRadius: 2,
          },
          {
            label: '办结',
            data: body.series.map((b) => b.ended),
            borderColor: palette[2],
            tension: 0.3,
            pointRadius: 2,
          },
          {
            label: '对比期受理',
            data: body.previous.map((b) => b.received),
            borderColor: 'rgba(199,211,224,.55)',
            borderDash: [5, 4],
            tension: 0.3,
            pointRadius: 0,
          },
        ],
      },
      options: {
        scales: { x: { ticks: { maxRotation: 0, autoSkipPadding: 12 } }, y: countAxis },
        interaction: { mode: 'index', intersect: false },
      },
    },
    `${unit}趋势：本期受理 ${total} 件，办结 ${ended} 件` +
      (peak && peak.received > 0 ? `，受理最多为 ${peak.start}（${peak.received} 件）` : ''),
  );
}

function renderDimensionTrends(buckets, byChannel, byCategory) {
  const channels = seriesByKey(
    buckets,
    byChannel,
    Object.fromEntries(Object.keys(labels.channel).map((k) => [k, shortChannel(k)])),
  );
  drawChart(
    'chart-channel',
    {
      type: 'bar',
      data: {
        labels: channels.labels,
        datasets: channels.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          backgroundColor: palette[i % palette.length],
          stack: 'all',
        })),
      },
      options: { scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } } },
    },
    `分渠道受理：${channels.series.map((s) => `${s.label} ${s.data.reduce((a, b) => a + b, 0)} 件`).join('，') || '无'}`,
  );
  const categories = seriesByKey(buckets, byCategory, labels.category, 5);
  drawChart(
    'chart-category',
    {
      type: 'line',
      data: {
        labels: categories.labels,
        datasets: categories.series.map((s, i) => ({
          label: s.label.replace(/纠纷$/, ''),
          data: s.data,
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          tension: 0.3,
          pointRadius: 2,
        })),
      },
      options: { scales: { y: countAxis } },
    },
    `主要纠纷类型：${categories.series.map((s) => `${s.label} ${s.data.reduce((a, b) => a + b, 0)} 件`).join('，') || '无'}`,
  );
}

// ── tables ───────────────────────────────────────────────────────────────

function renderCategories(body) {
  const rows = body.rows.filter((row) => row.received > 0).slice(0, 8);
  const max = Math.max(1, ...rows.map((row) => row.received));
  const tbody = $('categories').querySelector('tbody');
  tbody.replaceChildren(
    ...rows.map((row) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${Math.round((row.received / max) * 100)}%`;
      return el(
        'tr',
        { dataset: { key: row.key } },
        el('th', { scope: 'row' }, row.label ?? row.key),
        el('td', { class: 'num' }, formatCount(row.received)),
        el('td', { class: 'num' }, changeNode(row.change, 'count', null)),
        el('td', { class: 'num' }, formatRate(row.successRate)),
        el('td', { class: 'bar-col', 'aria-hidden': 'true' }, bar),
      );
    }),
  );
  if (rows.length === 0) tbody.append(emptyRow(5, '本期没有受理的纠纷'));
}

function renderDepartments(cases, more) {
  const rows = overdueByDepartment(cases, new Date()).slice(0, 8);
  $('dept-hint').textContent = more ? `按最早超期的 ${cases.length} 件统计` : `共 ${cases.length} 件超期在办`;
  const tbody = $('departments').querySelector('tbody');
  tbody.replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { dataset: { code: row.code } },
        el('th', { scope: 'row' }, row.name),
        el('td', { class: 'num' }, `${row.cases} 件`),
        el('td', { class: 'num' }, `${row.maxDaysLate} 天`),
      ),
    ),
  );
  if (rows.length === 0) tbody.append(emptyRow(3, '没有超期在办的案件'));
}

const emptyRow = (span, text) => el('tr', {}, el('td', { colspan: String(span), class: 'empty' }, text));

// ── the express lane ─────────────────────────────────────────────────────

// The lists ask for `titles=masked`, the case panel `text=masked`: a wall screen is read by whoever
// passes, so its titles and the reports' words show no ID-card or mobile number nor a confidential
// (保密) party's name.
function caseHeading(item) {
  const category = item.category ? (labels.category[item.category] ?? item.category) : '未分类纠纷';
  return item.title ?? category;
}

function placeOf(item) {
  const names = (item.place?.names ?? item.jurisdiction?.names ?? []).filter((n) => n !== boot.city.name);
  return names.join('') || '未定位';
}

function renderExpress(items, more = false) {
  const now = new Date();
  const focused = document.activeElement?.dataset?.caseId;
  $('express-hint').textContent =
    `在办 ${items.length}${more ? ' 件以上，列出最早受理的' : ' 件'}，按级别、时长排序`;
  const list = $('express-list');
  list.replaceChildren(
    ...items.map((item) => {
      const level = item.expressLevel;
      const age = ageDays(item.createdAt, now);
      const badge = level
        ? el('span', { class: `level level-${level}` }, labels.level[level] ?? level)
        : el('span', { class: 'level level-major' }, '重大 · 未进入直通车');
      return el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            class: 'express-item',
            dataset: { caseId: item.caseId, level: level ?? '' },
            onclick: (event) => openDetail(item.caseId, event.currentTarget),
          },
          el('span', { class: 'express-top' }, badge, el('span', { class: 'age' }, `${age} 天`)),
          el('span', { class: 'express-title' }, caseHeading(item)),
          el(
            'span',
            { class: 'express-meta' },
            `${placeOf(item)} · ${labels.status[item.status] ?? item.status} · 编号 ${caseRef(item.caseId)}`,
            item.repeatCount > 0 ? ` · 重复来件 ${item.repeatCount}` : '',
            item.overdue ? el('span', { class: 'overdue-tag' }, '超期') : null,
          ),
          el('span', { class: 'sr-only' }, '，查看详情'),
        ),
      );
    }),
  );
  if (items.length === 0) list.append(el('li', { class: 'empty' }, '目前没有在办的直通车或重大案件'));
  if (focused) list.querySelector(`[data-case-id="${focused}"]`)?.focus();
}

// ── case detail panel ────────────────────────────────────────────────────

const historyLabels = {
  received: '收到来件',
  triage: '待人工分拣',
  assigned: '分派至属地',
  accepted: '部门受理',
  mediating: '开始调解',
  progress: '办理进展',
  resolved: '调解成功',
  unresolved: '未化解',
  escalated: '进入书记直通车',
  closed: '结案',
  note: '备注',
  merged: '并入其他案件',
  repeat_attached: '重复来件并入',
  detached: '拆分为新案',
  detached_from: '由其他案件拆出，重新分派',
  corrected: '信息更正',
  rerouted: '重新分派（牵头部门不变）',
  repeat_rerouted: '来件加重，重新分派',
  routing_ignored: '分派未采用（案件已结束）',
  sla_reminder: '超期提醒',
};
const reasonLabels = { major: '重大纠纷', overdue: '办理超期', repeated: '多次重复来件', manual: '人工升级' };

function actorLabel(actor) {
  const [kind, who] = actor.split(/:(.*)/s);
  if (kind === 'channel') return shortChannel(who);
  if (kind === 'routing') return '智能分派';
  if (kind === 'operator') return `操作员 ${who}`;
  if (kind === 'agency') return `部门 ${who}`;
  if (kind === 'cases') return '系统';
  if (kind === 'sla') return '时限监督';
  return actor;
}

function historyDetail(entry) {
  const d = entry.detail ?? {};
  const note = (text) => translateNote(text, labels.category, when);
  if (typeof d === 'string') return note(d);
  const parts = [];
  if (d.level) parts.push(labels.level[d.level] ?? d.level);
  if (typeof d.reason === 'string') parts.push(reasonLabels[d.reason] ?? note(d.reason));
  if (typeof d.detail === 'string') parts.push(note(d.detail));
  if (Array.isArray(d.jurisdiction)) parts.push(d.jurisdiction.join(''));
  if (d.lead) parts.push(`牵头：${d.lead}`);
  if (Array.isArray(d.coHandlers) && d.coHandlers.length > 0) parts.push(`协办：${d.coHandlers.join('、')}`);
  if (d.outcome?.kind) {
    parts.push(labels.outcome[d.outcome.kind] ?? d.outcome.kind);
    if (d.outcome.amount !== undefined) parts.push(`金额 ${d.outcome.amount} 元`);
    if (d.outcome.summary) parts.push(d.outcome.summary);
  }
  if (d.note) parts.push(d.note);
  if (d.dueAt && entry.type === 'sla_reminder') parts.push(`时限 ${when(d.dueAt)}`);
  return parts.filter(Boolean).join('；');
}

async function openDetail(caseId, opener) {
  state.detailOpener = opener ?? document.activeElement;
  const panelNode = $('detail');
  const body = $('detail-body');
  body.replaceChildren(el('p', { class: 'hint' }, '加载中…'));
  panelNode.dataset.caseId = caseId;
  panelNode.dataset.state = 'loading';
  panelNode.hidden = false;
  $('scrim').hidden = false;
  $('detail-close').focus();
  try {
    const c = await api(`/v1/cases/${encodeURIComponent(caseId)}?text=masked`);
    if (panelNode.dataset.caseId !== caseId) return;
    renderDetail(c);
    panelNode.dataset.state = 'ready';
  } catch (error) {
    body.replaceChildren(el('p', { class: 'panel-error', role: 'alert' }, `加载失败：${error.message}`));
  }
}

function renderDetail(c) {
  $('detail-title').textContent = caseHeading(c);
  const now = new Date();
  const overdue =
    c.dueAt && Date.parse(c.dueAt) < now.getTime() && openStatuses.split(',').includes(c.status);
  const facts = [
    ['案件编号', caseRef(c.caseId)],
    ['状态', labels.status[c.status] ?? c.status],
    ['书记直通车', c.expressLane ? labels.level[c.expressLane] : '未进入'],
    ['严重程度', labels.severity[c.severity] ?? c.severity],
    ['纠纷类型', c.category ? (labels.category[c.category] ?? c.category) : '未分类'],
    ['来源渠道', labels.channel[c.channel] ?? c.channel],
    ['发生地', placeOf(c)],
    ['受理时间', `${when(c.createdAt)}（已 ${ageDays(c.createdAt, now)} 天）`],
    ['办理时限', c.dueAt ? `${when(c.dueAt)}${overdue ? '（已超期）' : ''}` : '—'],
    ['重复来件', `${c.repeatCount} 次`],
  ];
  // The hotline's own word on its order: how urgent it rates it, how often the caller pressed.
  const hotline = c.reports.find((r) => r.hotline)?.hotline;
  if (hotline) {
    facts.push([
      '12345 工单',
      [
        hotline.orderNo,
        hotline.urgency ? (labels.urgency[hotline.urgency] ?? hotline.urgency) : '',
        hotline.reminders > 0 ? `催办 ${hotline.reminders} 次` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    ]);
  }
  if (c.outcome) {
    facts.push([
      '办理结果',
      [
        labels.outcome[c.outcome.kind] ?? c.outcome.kind,
        c.outcome.amount !== undefined ? `${c.outcome.amount} 元` : '',
      ]
        .filter(Boolean)
        .join('，'),
    ]);
  }
  const departments = c.assignments.filter((a) => a.status !== 'withdrawn');
  $('detail-body').replaceChildren(
    el(
      'dl',
      { class: 'facts' },
      facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    ),
    el('h3', {}, '承办部门'),
    departments.length > 0
      ? el(
          'ul',
          { class: 'departments' },
          departments.map((a) =>
            el('li', {}, el('b', {}, a.role === 'lead' ? '牵头' : '协办'), ` ${a.departmentName}`),
          ),
        )
      : el('p', { class: 'hint' }, '尚未分派'),
    c.reports.length > 0 ? el('h3', {}, `来件（${c.reports.length}）`) : null,
    c.reports.length > 0
      ? el(
          'ol',
          { class: 'reports' },
          c.reports.map((r) =>
            el(
              'li',
              {},
              el('span', { class: 'meta' }, `${when(r.receivedAt)} · ${shortChannel(r.channel)}`),
              el('p', {}, r.content),
            ),
          ),
        )
      : null,
    el('h3', { id: 'history-title' }, '办理经过'),
    el(
      'ol',
      { class: 'history', id: 'history', 'aria-labelledby': 'history-title' },
      c.history.map((entry) =>
        el(
          'li',
          { dataset: { type: entry.type } },
          el('span', { class: 'meta' }, `${when(entry.at)} · ${actorLabel(entry.actor)}`),
          el('b', {}, historyLabels[entry.type] ?? entry.type),
          historyDetail(entry) ? el('p', {}, historyDetail(entry)) : null,
        ),
      ),
    ),
  );
}

function closeDetail() {
  const panelNode = $('detail');
  if (panelNode.hidden) return;
  panelNode.hidden = true;
  $('scrim').hidden = true;
  delete panelNode.dataset.caseId;
  const opener = state.detailOpener;
  state.detailOpener = null;
  if (opener?.isConnected) opener.focus();
  else if (opener?.dataset?.caseId)
    $('express-list').querySelector(`[data-case-id="${opener.dataset.caseId}"]`)?.focus();
}

function trapFocus(event) {
  if ($('detail').hidden) return;
  if (event.key === 'Escape') {
    event.preventDefault();
    closeDetail();
    return;
  }
  if (event.key !== 'Tab') return;
  const focusable = [...$('detail').querySelectorAll('button, [href], [tabindex]:not([tabindex="-1"])')];
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  } else if (!$('detail').contains(document.activeElement)) {
    event.preventDefault();
    first.focus();
  }
}

// ── wiring ───────────────────────────────────────────────────────────────

function wire() {
  chartDefaults();
  $('login-form').addEventListener('submit', signIn);
  $('logout').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => refresh());
  $('period').addEventListener('change', () => refresh());
  $('compare').addEventListener('change', () => refresh());
  $('detail-close').addEventListener('click', closeDetail);
  $('scrim').addEventListener('click', closeDetail);
  document.addEventListener('keydown', trapFocus);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.session && $('main').dataset.state === 'ready')
      refresh();
  });
  for (const button of document.querySelectorAll('.toggle [data-metric]')) {
    button.addEventListener('click', () => {
      state.metric = button.dataset.metric;
      for (const other of document.querySelectorAll('.toggle [data-metric]')) {
        other.setAttribute('aria-pressed', String(other === button));
      }
      if (state.tiles) renderTiles(state.tiles.place, state.tiles.rows);
    });
  }
  const session = loadSession();
  if (session) start(session);
  else signOut();
}

wire();
