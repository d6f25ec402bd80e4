import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogue } from './catalogue.ts';
import { examples } from './examples.ts';
import { storable, unstorableTexts } from './storable-text.ts';
import { instant } from './vocabulary.ts';

describe('text PostgreSQL can store', () => {
  it('finds NUL and half surrogate pairs, in values and keys, at their paths; whole pairs and Chinese pass', () => {
    const value = {
      title: '邻里纠纷 😀',
      content: '噪音扰民\u0000',
      parties: [{ name: '郭某' }, { name: '杨\ud83d' }],
      notes: ['\ude00 first'],
      'odd\u0000key': 'fine',
      amount: 3800,
    };
    expect(unstorableTexts(value)).toEqual([
      { path: ['content'], reason: 'must not contain the NUL character (\\u0000)' },
      { path: ['parties', 1, 'name'], reason: expect.stringContaining('half of a surrogate pair') },
      { path: ['notes', 0], reason: expect.stringContaining('half of a surrogate pair') },
      { path: ['odd\u0000key'], reason: 'must not contain the NUL character (\\u0000)' },
    ]);
    expect(unstorableTexts({ words: '调解😀成功', list: ['a', 1, null, true] })).toEqual([]);
    // Each alone, however deep, in an otherwise clean value (clean ones are walked without paths first).
    const clean = { title: '邻里纠纷', parties: [{ name: '郭某', tags: ['a', 'b'] }], amount: 1 };
    const alone: [unknown, (string | number)[]][] = [
      [{ ...clean, parties: [{ name: '郭某', tags: ['a', 'b\u0000'] }] }, ['parties', 0, 'tags', 1]],
      [{ ...clean, parties: [{ name: '郭某', '\ud83d': 'x' }] }, ['parties', 0, '\ud83d']],
      [{ ...clean, last: [[['\ude00']]] }, ['last', 0, 0, 0]],
      ['\u0000', []],
    ];
    for (const [value, path] of alone)
      expect(unstorableTexts(value).map((problem) => problem.path)).toEqual([path]);
  });

  it('storable() refuses what its schema parsed, an issue at each field, with the reason it is given', () => {
    const schema = storable(z.object({ name: z.string(), tags: z.array(z.string()) }), '请删除特殊字符');
    const result = schema.safeParse({ name: 'a\u0000', tags: ['ok', '\ud800'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['name', '请删除特殊字符'],
      ['tags.1', '请删除特殊字符'],
    ]);
  });

  it("every event's contract refuses it, so the bus never publishes one and a consumer dead-letters it at once", () => {
    const { payload } = examples['case.status.v1']![0]!;
    const contract = catalogue['case.status.v1'].schema;
    expect(contract.safeParse(payload).success).toBe(true);
    const poisoned = contract.safeParse({ ...payload, reason: '双方和解\u0000' });
    expect(poisoned.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['reason']);
  });
});

describe('instants', () => {
  it('in an event are 0001-01-01 UTC or later: .NET\'s "no date", 0001-01-01 in China, is year 0 in UTC, which PostgreSQL has not', () => {
    const at = instant('When.');
    expect(at.safeParse('0001-01-01T00:00:00Z').success).toBe(true);
    // An event may carry what was stored before the edges took 1900 on (a corrected case's report).
    expect(at.safeParse('1899-12-31T00:00:00+08:00').success).toBe(true);
    expect(at.safeParse('2024-08-24T09:30:00+08:00').success).toBe(true);
    const early = at.safeParse('0001-01-01T00:00:00+08:00');
    expect(early.error?.issues.map((issue) => issue.message)).toEqual([
      'must be 0001-01-01T00:00:00Z or later (PostgreSQL has no year 0)',
    ]);
    // Not a date-time at all: the format's reason alone.
    expect(at.safeParse('yesterday').error?.issues).toHaveLength(1);
  });
});
