// Pure helpers of the overview page: formatting, periods, drill-down, tallies. No DOM here, so
// the unit tests run them in Node (model.test.ts) and the page imports the very same file.

const dayMs = 86_400_000;
const chinaOffsetMs = 8 * 3600_000;

/** A calendar day in China time (YYYY-MM-DD). */
export function chinaDay(date) {
  return new Date(date.getTime() + chinaOffsetMs).toISOString().slice(0, 10);
}

export function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  return new Date(date.getTime() + days * dayMs).toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs);
}

/** The days a period choice covers, ending today (China time): `to` is included. */
export function periodFor(choice, now) {
  const to = chinaDay(now);
  if (choice === 'month') return { from: `${to.slice(0, 7)}-01`, to };
  if (choice === 'year') return { from: `${to.slice(0, 4)}-01-01`, to };
  const days = Number(choice);
  if (!Number.isInteger(days) || days < 1) throw new Error(`unknown period ${choice}`);
  return { from: addDays(to, -(days - 1)), to };
}

/** The trend interval that keeps a chart readable for a period of this many days. */
export function intervalFor(days) {
  if (days <= 92) return 'day';
  if (days <= 200) return 'week';
  return 'month';
}

/** The interval of the per-channel and per-category trends (one breakdown request per bucket). */
export function dimensionIntervalFor(days) {
  if (days <= 14) return 'day';
  if (days <= 120) return 'week';
  return 'month';
}

export function formatCount(value) {
  if (value === null || value === undefined) return '—';
  return Number(value).toLocaleString('zh-CN');
}

export function formatRate(value) {
  if (value === null || value === undefined) return '—';
  return `${(value * 100).toFixed(1)}%`;
}

export function formatDays(value) {
  if (value === null || value === undefined) return '—';
  return value.toFixed(1);
}

/**
 * A change against the comparison period, as shown and as read aloud. `kind`: count (relative
 * change), rate (percentage points), days (absolute days). `better`: which direction is good news
 * (up: more mediated; down: faster resolution), or null when neither is.
 */
export function describeChange(change, kind, better = null) {
  if (!change || change.delta === null || change.delta === undefined) {
    return { text: '—', spoken: '无可比数据', direction: 'none', tone: 'neutral' };
  }
  const { delta, ratio } = change;
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  const arrow = direction === 'up' ? '↑' : direction === 'down' ? '↓' : '→';
  const word = direction === 'up' ? '增加' : direction === 'down' ? '减少' : '持平';
  let amount;
  if (kind === 'rate') amount = `${Math.abs(delta * 100).toFixed(1)}个百分点`;
  else if (kind === 'days') amount = `${Math.abs(delta).toFixed(1)}天`;
  else if (ratio === null || ratio === undefined) amount = `${Math.abs(delta)}件`;
  else amount = `${Math.abs(ratio * 100).toFixed(1)}%`;
  const tone = better === null || direction === 'flat' ? 'neutral' : direction === better ? 'good' : 'bad';
  if (direction === 'flat') return { text: '→ 持平', spoken: '与上期持平', direction, tone };
  return { text: `${arrow} ${amount}`, spoken: `较对比期${word}${amount}`, direction, tone };
}

/** city (350800), county (350802), town (350802107), from a division code's shape. */
export function levelOf(code) {
  if (code.length === 6) return code.endsWith('00') ? 'city' : 'county';
  if (code.length === 9) return 'town';
  return 'village';
}

/** The places from the operator's scope down to `place`: the breadcrumb. */
export function pathTo(scope, place) {
  const path = [scope];
  if (place === scope) return path;
  if (levelOf(scope) === 'city' && place.length >= 6) {
    const county = place.slice(0, 6);
    if (county !== scope) path.push(county);
  }
  if (place.length === 9 && !path.includes(place)) path.push(place);
  return path;
}

/** The place one level up within the scope, or null at the scope itself. */
export function parentOf(scope, place) {
  const path = pathTo(scope, place);
  return path.length > 1 ? path[path.length - 2] : null;
}

/**
 * The tiles of one level: every division below `place` from the gazetteer (so places without
 * cases show too), with the breakdown's figures where it has a row; the breakdown's rest row
 * (cases not yet placed further down) last.
 */
export function tilesOf(place, divisions, rows) {
  const level = levelOf(place);
  let children = [];
  if (level === 'city') children = divisions.counties;
  else if (level === 'county') children = divisions.towns.filter(([code]) => code.startsWith(place));
  const byCode = new Map(rows.map((row) => [row.key, row]));
  const tiles = children.map(([code, name]) => {
    const row = byCode.get(code);
    byCode.delete(code);
    return tileOf(code, row?.label ?? name, row, level !== 'town');
  });
  // Rows the gazetteer does not know (should not happen), then the unplaced rest.
  for (const row of byCode.values()) {
    if (row.key !== '') tiles.push(tileOf(row.key, row.label ?? row.key, row, true));
  }
  const rest = byCode.get('');
  if (rest) tiles.push(tileOf('', rest.label ?? '未落到下一级', rest, false));
  return tiles;
}

function tileOf(code, name, row, drillable) {
  const open = row?.open ?? 0;
  const overdue = row?.overdue ?? 0;
  return {
    code,
    name,
    received: row?.received ?? 0,
    change: row?.change ?? { delta: null, ratio: null },
    ended: row?.ended ?? 0,
    successRate: row?.successRate ?? null,
    open,
    overdue,
    overdueRate: open > 0 ? overdue / open : null,
    drillable: drillable && code !== '',
  };
}

/** Five-step shading of a value against the largest of its level (0: none). */
export function shade(value, max) {
  if (value === null || value === undefined || value <= 0 || !(max > 0)) return 0;
  return Math.min(5, Math.max(1, Math.ceil((value / max) * 5)));
}

/**
 * The case number (案件编号) a secretary's express-lane SMS names (notify's record-escalation.ts):
 * the case id's first eight characters, shown on the screen so the message leads to its case.
 */
export function caseRef(caseId) {
  return caseId.slice(0, 8);
}

/** Whole days between two instants (ISO strings or dates), never negative. */
export function ageDays(since, now) {
  const start = typeof since === 'string' ? Date.parse(since) : since.getTime();
  return Math.max(0, Math.floor((now.getTime() - start) / dayMs));
}

/**
 * When a case was received, as a day in China time: 今天, 昨天 or N 天前 by the calendar, not by
 * elapsed hours (received at 23:30, seen at 08:00 the next morning, it came in yesterday).
 */
export function receivedAgo(since, now) {
  const date = typeof since === 'string' ? new Date(since) : since;
  const days = Math.max(0, daysBetween(chinaDay(date), chinaDay(now)));
  return days === 0 ? '今天' : days === 1 ? '昨天' : `${days} 天前`;
}

/**
 * Overdue open cases per department (lead or co-handler; withdrawn assignments not counted),
 * most first, with the longest delay past the due time in days.
 */
export function overdueByDepartment(cases, now) {
  const tally = new Map();
  for (const item of cases) {
    if (!item.overdue) continue;
    const late = item.dueAt ? ageDays(item.dueAt, now) : 0;
    for (const department of item.departments ?? []) {
      if (department.status === 'withdrawn') continue;
      const entry = tally.get(department.code) ?? {
        code: department.code,
        name: department.name,
        cases: 0,
        maxDaysLate: 0,
      };
      entry.cases += 1;
      entry.maxDaysLate = Math.max(entry.maxDaysLate, late);
      tally.set(department.code, entry);
    }
  }
  return [...tally.values()].sort(
    (a, b) => b.cases - a.cases || b.maxDaysLate - a.maxDaysLate || a.code.localeCompare(b.code),
  );
}

const laneRank = { city: 3, county: 2, township: 1 };

/**
 * The express-lane list: escalated and major open cases, each once, highest level first, then
 * the oldest.
 */
export function expressList(escalated, major) {
  const seen = new Set();
  const merged = [];
  for (const item of [...escalated, ...major]) {
    if (seen.has(item.caseId)) continue;
    seen.add(item.caseId);
    merged.push(item);
  }
  return merged.sort(
    (a, b) =>
      (laneRank[b.expressLevel] ?? 0) - (laneRank[a.expressLevel] ?? 0) ||
      Date.parse(a.createdAt) - Date.parse(b.createdAt),
  );
}

/** Series per key (channel, category) over buckets, from one breakdown per bucket; top `limit` keys by total. */
export function seriesByKey(buckets, breakdowns, labels, limit = Infinity) {
  const totals = new Map();
  for (const body of breakdowns) {
    for (const row of body.rows) totals.set(row.key, (totals.get(row.key) ?? 0) + row.received);
  }
  const keys = [...totals.entries()]
    .filter(([, total]) => total > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([key]) => key);
  return {
    labels: buckets.map((bucket) => bucketLabel(bucket)),
    series: keys.map((key) => ({
      key,
      label: labels[key] ?? (key === '' ? '未分类' : key),
      data: breakdowns.map((body) => body.rows.find((row) => row.key === key)?.received ?? 0),
    })),
  };
}

/** 08-24, or 08-19～08-25 for a longer bucket. */
export function bucketLabel(bucket) {
  const from = bucket.from.slice(5);
  const to = bucket.to.slice(5);
  return from === to ? from : `${from}～${to}`;
}

/**
 * The platform's own notes in a case's history (repeat detection, SLA), in Chinese; anything
 * else as written.
 */
export function translateNote(text, categoryLabels = {}, formatTime = (iso) => iso) {
  // Notes written before repeat detection stopped naming the number carry its last digits
  // ("same caller (***1234)"): matched too, and not shown.
  let match = /^same caller(?: \(\*+\d+\))? and same other party$/.exec(text);
  if (match) return '同一来电人就同一对方当事人再次反映';
  match = /^same caller(?: \(\*+\d+\))?, same category \((.+?)\) and place$/.exec(text);
  if (match) return `同一来电人就同一地点的${categoryLabels[match[1]] ?? match[1]}再次反映`;
  match = /^(\d+) reports of the same matter$/.exec(text);
  if (match) return `同一事项已反映 ${match[1]} 次`;
  match = /^overdue since (\S+)$/.exec(text);
  if (match) return `自 ${formatTime(match[1])} 起超期`;
  // An operator's merge (consumers/fold-case.ts is told `merged by hand: <their reason>`).
  match = /^merged by hand: ([\s\S]*)$/.exec(text);
  if (match) return `人工合并：${match[1]}`;
  return text;
}
