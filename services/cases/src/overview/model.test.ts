import { describe, expect, it } from 'vitest';
import {
  ageDays,
  bucketLabel,
  chinaDay,
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
} from './public/model.js';

const divisions = {
  counties: [
    ['350802', '新罗区'],
    ['350803', '永定区'],
  ] as [string, string][],
  towns: [
    ['350802100', '红坊镇'],
    ['350802107', '江山镇'],
    ['350803102', '下洋镇'],
  ] as [string, string][],
};
const change = (delta: number | null, ratio: number | null) => ({ delta, ratio });

describe('periods in China time', () => {
  it('the day turns at midnight in Beijing, not in UTC', () => {
    expect(chinaDay(new Date('2024-08-31T15:59:59Z'))).toBe('2024-08-31');
    expect(chinaDay(new Date('2024-08-31T16:00:00Z'))).toBe('2024-09-01');
  });

  it('the last N days include today; this month and this year start on the 1st', () => {
    const now = new Date('2024-08-24T02:00:00Z');
    expect(periodFor('30', now)).toEqual({ from: '2024-07-26', to: '2024-08-24' });
    expect(periodFor('7', now)).toEqual({ from: '2024-08-18', to: '2024-08-24' });
    expect(periodFor('month', now)).toEqual({ from: '2024-08-01', to: '2024-08-24' });
    expect(periodFor('year', now)).toEqual({ from: '2024-01-01', to: '2024-08-24' });
    expect(() => periodFor('forever', now)).toThrow(/unknown period/);
  });

  it('chooses intervals that keep the charts readable and the requests few', () => {
    expect([7, 30, 90, 92, 93, 200, 366].map(intervalFor)).toEqual([
      'day',
      'day',
      'day',
      'day',
      'week',
      'week',
      'month',
    ]);
    expect([7, 14, 15, 30, 120, 121, 366].map(dimensionIntervalFor)).toEqual([
      'day',
      'day',
      'week',
      'week',
      'week',
      'month',
      'month',
    ]);
    expect(bucketLabel({ from: '2024-08-24', to: '2024-08-24' })).toBe('08-24');
    expect(bucketLabel({ from: '2024-08-19', to: '2024-08-25' })).toBe('08-19～08-25');
  });
});

describe('figures as shown and as read aloud', () => {
  it('formats counts, rates and days, with a dash for none', () => {
    expect(formatCount(36215)).toBe('36,215');
    expect(formatCount(null)).toBe('—');
    expect(formatRate(0.983)).toBe('98.3%');
    expect(formatRate(null)).toBe('—');
    expect(formatDays(6.75)).toBe('6.8');
    expect(formatDays(null)).toBe('—');
  });

  it('describes a change: relative for counts, points for rates, days for times', () => {
    expect(describeChange(change(4, 1.3333), 'count')).toEqual({
      text: '↑ 133.3%',
      spoken: '较对比期增加133.3%',
      direction: 'up',
      tone: 'neutral',
    });
    // From nothing: the count, not a ratio.
    expect(describeChange(change(7, null), 'count').text).toBe('↑ 7件');
    expect(describeChange(change(-0.066, -0.07), 'rate', 'up')).toMatchObject({
      text: '↓ 6.6个百分点',
      tone: 'bad',
    });
    expect(describeChange(change(-0.3, -0.04), 'days', 'down')).toMatchObject({
      text: '↓ 0.3天',
      tone: 'good',
    });
    expect(describeChange(change(0, 0), 'count', 'up')).toMatchObject({ text: '→ 持平', tone: 'neutral' });
    expect(describeChange(change(null, null), 'rate')).toMatchObject({ text: '—', spoken: '无可比数据' });
    expect(describeChange(undefined, 'count').direction).toBe('none');
  });

  it('shades in five steps against the largest value of the level', () => {
    expect([0, 1, 20, 21, 99, 100].map((value) => shade(value, 100))).toEqual([0, 1, 1, 2, 5, 5]);
    expect(shade(null, 10)).toBe(0);
    expect(shade(3, 0)).toBe(0);
  });
});

describe('the drill-down', () => {
  it('knows a level from the shape of the code', () => {
    expect(['350800', '350802', '350802107', '350802107201'].map(levelOf)).toEqual([
      'city',
      'county',
      'town',
      'village',
    ]);
  });

  it('walks from the scope down to the place and one level back up', () => {
    expect(pathTo('350800', '350800')).toEqual(['350800']);
    expect(pathTo('350800', '350802')).toEqual(['350800', '350802']);
    expect(pathTo('350800', '350802107')).toEqual(['350800', '350802', '350802107']);
    expect(pathTo('350802', '350802107')).toEqual(['350802', '350802107']);
    expect(parentOf('350800', '350802107')).toBe('350802');
    expect(parentOf('350802', '350802107')).toBe('350802');
    expect(parentOf('350802', '350802')).toBeNull();
  });

  it('shows every county of the city, with figures where there are cases, and the unplaced rest last', () => {
    const tiles = tilesOf('350800', divisions, [
      {
        key: '350803',
        label: '永定区',
        received: 5,
        change: change(1, 0.25),
        ended: 2,
        successRate: 1,
        open: 4,
        overdue: 1,
      },
      {
        key: '',
        label: '未落到下一级',
        received: 1,
        change: change(1, null),
        ended: 0,
        successRate: null,
        open: 1,
        overdue: 0,
      },
    ]);
    expect(tiles.map((t) => [t.code, t.name, t.received, t.drillable])).toEqual([
      ['350802', '新罗区', 0, true],
      ['350803', '永定区', 5, true],
      ['', '未落到下一级', 1, false],
    ]);
    expect(tiles[1]!.overdueRate).toBe(0.25);
    expect(tiles[0]!.overdueRate).toBeNull();
  });

  it("a county's towns come from the gazetteer; a town has no tiles below it", () => {
    const tiles = tilesOf('350802', divisions, []);
    expect(tiles.map((t) => [t.name, t.received, t.drillable])).toEqual([
      ['红坊镇', 0, true],
      ['江山镇', 0, true],
    ]);
    expect(tilesOf('350802107', divisions, [])).toEqual([]);
  });
});

describe('lists built from searches', () => {
  const now = new Date('2024-09-10T00:00:00Z');

  it('counts overdue cases per department, withdrawn assignments aside', () => {
    const departments = (...codes: string[]) =>
      codes.map((code) => ({
        code,
        name: `${code}名`,
        role: 'lead',
        status: code === 'x' ? 'withdrawn' : 'delivered',
      }));
    const rows = overdueByDepartment(
      [
        {
          caseId: 'a',
          createdAt: '',
          expressLevel: null,
          overdue: true,
          dueAt: '2024-09-01T00:00:00Z',
          departments: departments('jo', 'ps'),
        },
        {
          caseId: 'b',
          createdAt: '',
          expressLevel: null,
          overdue: true,
          dueAt: '2024-09-08T00:00:00Z',
          departments: departments('jo', 'x'),
        },
        {
          caseId: 'c',
          createdAt: '',
          expressLevel: null,
          overdue: false,
          dueAt: null,
          departments: departments('ps'),
        },
      ],
      now,
    );
    expect(rows).toEqual([
      { code: 'jo', name: 'jo名', cases: 2, maxDaysLate: 9 },
      { code: 'ps', name: 'ps名', cases: 1, maxDaysLate: 9 },
    ]);
  });

  it('merges escalated and major cases once each, highest level first, then the oldest', () => {
    const item = (caseId: string, expressLevel: string | null, createdAt: string) => ({
      caseId,
      expressLevel,
      createdAt,
    });
    const list = expressList(
      [
        item('t', 'township', '2024-08-01T00:00:00Z'),
        item('c', 'city', '2024-09-01T00:00:00Z'),
        item('k', 'county', '2024-08-20T00:00:00Z'),
      ],
      [
        item('k', 'county', '2024-08-20T00:00:00Z'),
        item('m', null, '2024-07-01T00:00:00Z'),
        item('c2', 'city', '2024-08-01T00:00:00Z'),
      ],
    );
    expect(list.map((entry) => entry.caseId)).toEqual(['c2', 'c', 'k', 't', 'm']);
    expect(ageDays('2024-09-01T00:00:00Z', now)).toBe(9);
    expect(ageDays('2024-09-11T00:00:00Z', now)).toBe(0);
  });

  it('says when a case was received by the calendar in China time, not by elapsed hours', () => {
    // 08:00 on 2 September in Longyan.
    const morning = new Date('2024-09-02T08:00:00+08:00');
    expect(receivedAgo('2024-09-01T23:30:00+08:00', morning)).toBe('昨天');
    expect(receivedAgo('2024-09-02T00:10:00+08:00', morning)).toBe('今天');
    expect(receivedAgo('2024-08-31T23:00:00+08:00', morning)).toBe('2 天前');
    // 16:30 UTC on 1 September is 00:30 on the 2nd in China: received today, whatever the UTC date says.
    expect(receivedAgo('2024-09-01T16:30:00Z', new Date('2024-09-01T23:00:00Z'))).toBe('今天');
  });

  it('makes one series per key across buckets, the biggest first, zeros where a bucket has none', () => {
    const result = seriesByKey(
      [
        { from: '2024-08-19', to: '2024-08-25' },
        { from: '2024-08-26', to: '2024-08-31' },
      ],
      [
        {
          rows: [
            { key: 'labor', received: 3 },
            { key: 'neighborhood', received: 1 },
          ],
        },
        {
          rows: [
            { key: 'neighborhood', received: 4 },
            { key: 'contract', received: 0 },
          ],
        },
      ],
      { labor: '劳动争议纠纷', neighborhood: '邻里纠纷' },
      1,
    );
    expect(result).toEqual({
      labels: ['08-19～08-25', '08-26～08-31'],
      series: [{ key: 'neighborhood', label: '邻里纠纷', data: [1, 4] }],
    });
  });
});

describe("the platform's notes in Chinese", () => {
  it('translates repeat detection and SLA notes, and leaves the rest as written', () => {
    expect(translateNote('same caller and same other party')).toBe('同一来电人就同一对方当事人再次反映');
    expect(translateNote('same caller, same category (labor) and place', { labor: '劳动争议纠纷' })).toBe(
      '同一来电人就同一地点的劳动争议纠纷再次反映',
    );
    expect(translateNote('3 reports of the same matter')).toBe('同一事项已反映 3 次');
    expect(translateNote('overdue since 2024-09-03T01:30:00.000Z', {}, (iso) => `[${iso}]`)).toBe(
      '自 [2024-09-03T01:30:00.000Z] 起超期',
    );
    expect(translateNote('merged by hand: 同一人，同一事项')).toBe('人工合并：同一人，同一事项');
    expect(translateNote('多次反映未果')).toBe('多次反映未果');
  });

  it("shows no digits of the caller's number in notes written before repeat detection left them out", () => {
    expect(translateNote('same caller (***0001) and same other party')).toBe(
      '同一来电人就同一对方当事人再次反映',
    );
    expect(
      translateNote('same caller (***0001), same category (labor) and place', { labor: '劳动争议纠纷' }),
    ).toBe('同一来电人就同一地点的劳动争议纠纷再次反映');
  });
});
