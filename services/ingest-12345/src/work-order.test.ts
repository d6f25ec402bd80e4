import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { describe, expect, it } from 'vitest';
import { fullOrder, guo } from '../test/fixtures.ts';
import { fingerprintOf, normaliseWorkOrder, WorkOrder, workOrderSchema } from './work-order.ts';

const normalise = (body: unknown, clientId = 'hotline-a') =>
  DisputeReceivedV1.parse(normaliseWorkOrder(WorkOrder.parse(body), { clientId }));

const problems = (body: unknown) => {
  const result = WorkOrder.safeParse(body);
  return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
};

describe('a work order becomes one dispute.intake.v1', () => {
  it('keeps the minimal order of the first version valid, as the README pushes it', () => {
    expect(normalise(guo)).toEqual({
      disputeId: disputeIdFor('hotline_12345', 'GD20240824001'),
      channel: 'hotline_12345',
      sourceRef: 'GD20240824001',
      sourceClient: 'hotline-a',
      revision: 1,
      receivedAt: '2024-08-24T09:30:00+08:00',
      content: guo.content,
      location: { address: '福建省龙岩市新罗区江山镇' },
      parties: [{ role: 'caller', kind: 'person', name: '郭某', phone: '13800000000' }],
      sourceCategory: { scheme: '12345', code: '0301', name: '劳动保障-欠薪' },
      attachments: [],
    });
  });

  it('carries everything a full work order holds', () => {
    const dispute = normalise(fullOrder);
    expect(dispute).toMatchObject({
      title: '法院判决后对方拒不赔偿',
      location: { divisionCode: '350803', address: '龙岩市永定区下洋镇中川村' },
      dueAt: '2024-06-08T18:00:00+08:00',
      attachments: [{ url: 'https://12345.longyan.example/files/judgement.pdf', name: '判决书.pdf' }],
      hotline: { intakeChannel: 'phone', requestType: 'help', urgency: 'urgent' },
      // Three levels, broadest first, joined as routing reads paths; the most specific code.
      sourceCategory: { scheme: '12345', code: '110302', name: '政法-司法-涉法涉诉' },
    });
    expect(dispute.parties).toEqual([
      { role: 'caller', kind: 'person', name: '杨某', phone: '13900000001', confidential: true },
    ]);
  });

  it.each([
    ['咨询', 'consultation'],
    ['求助', 'help'],
    ['投诉', 'complaint'],
    ['举报', 'report'],
    ['建议', 'suggestion'],
    ['其他', 'other'],
    ['Complaint', 'complaint'],
  ])('reads the request type %s as %s', (given, code) => {
    expect(normalise({ ...guo, requestType: given }).hotline?.requestType).toBe(code);
  });

  it.each([
    ['电话', 'phone'],
    ['网站', 'web'],
    ['微信', 'wechat'],
    ['APP', 'app'],
    ['转办', 'transfer'],
    ['来信', 'letter'],
  ])('reads the intake channel %s as %s', (given, code) => {
    expect(normalise({ ...guo, intakeChannel: given }).hotline?.intakeChannel).toBe(code);
  });

  it('an anonymous caller travels without a name and is kept confidential; no phone is needed', () => {
    expect(
      normalise({ ...guo, caller: { name: '匿名', phone: '13800000000', anonymous: true } }).parties,
    ).toEqual([{ role: 'caller', kind: 'person', phone: '13800000000', confidential: true }]);
    expect(normalise({ ...guo, caller: { anonymous: true } }).parties).toEqual([
      { role: 'caller', kind: 'person', confidential: true },
    ]);
  });

  it('a reminder (催办) is carried with its count, time and note', () => {
    const dispute = normalise({
      ...guo,
      reminder: { count: 2, lastAt: '2024-08-30T08:00:00+08:00', note: '市民再次来电催促' },
    });
    expect(dispute.hotline).toEqual({
      reminder: { count: 2, lastAt: '2024-08-30T08:00:00+08:00', note: '市民再次来电催促' },
    });
  });

  it('trims text and treats blank optional text as absent', () => {
    const dispute = normalise({
      ...guo,
      title: '   ',
      content: '  欠薪3800元  ',
      caller: { name: ' ', phone: ' 13800000000 ' },
      location: { address: '  江山镇  ', divisionCode: '350802107' },
    });
    expect(dispute.title).toBeUndefined();
    expect(dispute.content).toBe('欠薪3800元');
    expect(dispute.parties[0]).toEqual({ role: 'caller', kind: 'person', phone: '13800000000' });
    expect(dispute.location).toEqual({ divisionCode: '350802107', address: '江山镇' });
  });

  it('takes the flat name over the levels when both are sent, and a code from the deepest level that has one', () => {
    expect(
      normalise({
        ...guo,
        category: { name: '劳动保障-欠薪', levels: [{ code: '03', name: '劳动保障' }, { name: '欠薪' }] },
      }).sourceCategory,
    ).toEqual({ scheme: '12345', code: '03', name: '劳动保障-欠薪' });
    expect(normalise({ ...guo, category: {} }).sourceCategory).toBeUndefined();
  });

  it("is classified by routing's own rules from the hotline's three levels", () => {
    const dispute = normalise({
      ...guo,
      content: '请帮忙处理。',
      category: { levels: [{ name: '劳动保障' }, { name: '劳动关系' }, { name: '拖欠工资' }] },
      location: { divisionCode: '350802107' },
    });
    const decision = createRouter().decide(dispute, new Date('2024-08-24T02:00:00Z'));
    expect(decision.category).toBe('labor');
    // From the classification, not guessed from the words.
    expect(decision.trace.category.source).toBe('channel');
    expect(decision.jurisdiction).toMatchObject({ townCode: '350802107' });
  });
});

describe('WorkOrder rejects, naming the field', () => {
  it.each([
    ['an order number with spaces', { orderNo: 'GD 1' }, 'orderNo'],
    ['a time that is not ISO 8601', { receivedAt: '2024/08/24 09:30' }, 'receivedAt'],
    ['empty content', { content: '   ' }, 'content'],
    ['no phone for a caller who is not anonymous', { caller: { name: '郭某' } }, 'caller.phone'],
    ['a phone that is not one', { caller: { phone: 'call me' } }, 'caller.phone'],
    ['no place at all', { location: { address: ' ' } }, 'location'],
    ['a bad division code', { location: { divisionCode: '3508' } }, 'location.divisionCode'],
    // Filed in the city's triage, an order of another city waited for an operator to find it.
    ['a division outside Longyan', { location: { divisionCode: '110101' } }, 'location.divisionCode'],
    ['an unknown request type', { requestType: '表扬' }, 'requestType'],
    ['an unknown intake channel', { intakeChannel: 'pigeon' }, 'intakeChannel'],
    ['an unknown urgency', { urgency: 'whenever' }, 'urgency'],
    [
      'four classification levels',
      { category: { levels: [1, 2, 3, 4].map((n) => ({ name: `L${n}` })) } },
      'category.levels',
    ],
    ['an unnamed level', { category: { levels: [{ code: '03', name: ' ' }] } }, 'category.levels.0.name'],
    ['a due time before intake', { dueAt: '2024-08-24T09:29:59+08:00' }, 'dueAt'],
    ['a reminder count of 0', { reminder: { count: 0 } }, 'reminder.count'],
    ['a javascript: attachment', { attachments: [{ url: 'javascript:alert(1)' }] }, 'attachments.0.url'],
    ['51 attachments', { attachments: Array(51).fill({ url: 'https://a.example/1' }) }, 'attachments'],
    ['content over 20,000 characters', { content: '欠'.repeat(20_001) }, 'content'],
  ])('%s', (_label, change, field) => {
    expect(problems({ ...guo, ...change }).map(([path]) => path)).toContain(field);
  });

  it('says what a time should look like, with an example', () => {
    expect(problems({ ...guo, receivedAt: '24.08.2024 09:30' })).toEqual([
      [
        'receivedAt',
        'an ISO 8601 date-time such as 2024-08-24T09:30:00+08:00 (without an offset it is China time), ' +
          'or "2024-08-24 09:30:00", or epoch milliseconds',
      ],
    ]);
  });

  it('names the anonymity rule when the phone is missing', () => {
    expect(problems({ ...guo, caller: {} })).toEqual([
      ['caller.phone', 'a phone number is required unless the caller is anonymous'],
    ]);
  });

  it('lists the accepted values with their Chinese labels', () => {
    expect(problems({ ...guo, requestType: '表扬' })[0]?.[1]).toContain('complaint/投诉');
  });
});

describe('a time without an offset is China time', () => {
  it('every time of the order is read as +08:00, as LocalDateTime writes it, with or without seconds', () => {
    const dispute = normalise({
      ...guo,
      receivedAt: '2024-08-24T09:30:00',
      dueAt: '2024-08-31T18:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00.250' },
    });
    expect(dispute.receivedAt).toBe('2024-08-24T09:30:00+08:00');
    expect(dispute.dueAt).toBe('2024-08-31T18:00:00+08:00');
    expect(dispute.hotline?.reminder?.lastAt).toBe('2024-08-27T10:00:00.250+08:00');
  });

  it('is the same report as the order written with +08:00: one fingerprint', () => {
    const withOffset = {
      ...guo,
      dueAt: '2024-08-31T18:00:00+08:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00+08:00' },
    };
    const without = {
      ...guo,
      receivedAt: '2024-08-24T09:30:00',
      dueAt: '2024-08-31T18:00:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00' },
    };
    expect(fingerprintOf(normalise(without))).toBe(fingerprintOf(normalise(withOffset)));
    // …and not a time eight hours off.
    expect(fingerprintOf(normalise({ ...without, receivedAt: '2024-08-24T09:30:00Z' }))).not.toBe(
      fingerprintOf(normalise(withOffset)),
    );
  });

  it('takes what Java systems write: a space for the T, a basic offset, epoch milliseconds — the same order', () => {
    const iso = normalise({
      ...guo,
      receivedAt: '2024-08-24T09:30:00+08:00',
      dueAt: '2024-08-31T18:00:00+08:00',
      reminder: { count: 1, lastAt: '2024-08-27T10:00:00+08:00' },
    });
    const java = normalise({
      ...guo,
      // @JsonFormat(pattern = "yyyy-MM-dd HH:mm:ss"), SimpleDateFormat's Z, fastjson's default for a Date.
      receivedAt: '2024-08-24 09:30:00',
      dueAt: '2024-08-31 18:00:00+0800',
      reminder: { count: 1, lastAt: Date.parse('2024-08-27T10:00:00+08:00') },
    });
    expect([java.receivedAt, java.dueAt, java.hotline?.reminder?.lastAt]).toEqual([
      '2024-08-24T09:30:00+08:00',
      '2024-08-31T18:00:00+08:00',
      '2024-08-27T10:00:00+08:00',
    ]);
    expect(fingerprintOf(java)).toBe(fingerprintOf(iso));
    expect(normalise({ ...guo, receivedAt: '2024-08-24 01:30:00+00' }).receivedAt).toBe(
      '2024-08-24T01:30:00+00:00',
    );
  });

  it('refuses a number that is not epoch milliseconds (seconds, a fraction) with the format', () => {
    const seconds = Date.parse('2024-08-24T09:30:00+08:00') / 1000;
    // …and one past the year 9999, which no date-time can write (it answered 500).
    for (const receivedAt of [
      seconds,
      seconds * 1000 + 0.5,
      -1,
      Date.UTC(10000, 0, 1),
      9e15,
      Number.MAX_SAFE_INTEGER,
    ])
      expect(problems({ ...guo, receivedAt })).toEqual([
        [
          'receivedAt',
          'an ISO 8601 date-time such as 2024-08-24T09:30:00+08:00 (without an offset it is China time), ' +
            'or "2024-08-24 09:30:00", or epoch milliseconds',
        ],
      ]);
  });

  it('is compared with dueAt as China time', () => {
    expect(
      problems({ ...guo, receivedAt: '2024-08-24T09:30:00', dueAt: '2024-08-24T09:00:00+08:00' }),
    ).toEqual([['dueAt', 'must not be before receivedAt']]);
  });
});

describe('a 受理时间 in the future', () => {
  // 2024-08-24T10:00:00 in China.
  const now = new Date('2024-08-24T02:00:00Z');
  const schema = workOrderSchema(() => now);
  const check = (receivedAt: string) => {
    const result = schema.safeParse({ ...guo, receivedAt });
    return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
  };

  it('is refused beyond 10 minutes of clock skew, naming the field and our time', () => {
    expect(check('2028-08-24T10:00:00+08:00')).toEqual([
      [
        'receivedAt',
        'is in the future (it is 2024-08-24T10:00:00+08:00 in China; at most 10 minutes ahead is allowed for clock skew)',
      ],
    ]);
    expect(check('2024-08-24T10:10:01+08:00').map(([field]) => field)).toEqual(['receivedAt']);
    // Without an offset it is China time too: 10:11 in China is 11 minutes ahead.
    expect(check('2024-08-24T10:11:00').map(([field]) => field)).toEqual(['receivedAt']);
  });

  it("is taken within 10 minutes: the hotline's clock is not ours", () => {
    expect(check('2024-08-24T10:10:00+08:00')).toEqual([]);
    expect(check('2024-08-24T02:05:00Z')).toEqual([]);
    expect(check('2024-08-24T10:05:00')).toEqual([]);
  });
});

describe('a time in a format that is not accepted', () => {
  const format =
    'an ISO 8601 date-time such as 2024-08-24T09:30:00+08:00 (without an offset it is China time), ' +
    'or "2024-08-24 09:30:00", or epoch milliseconds';
  const problemsAt = (now: Date, change: object) => {
    const result = workOrderSchema(() => now).safeParse({ ...guo, ...change });
    return result.success ? [] : result.error.issues.map((issue) => [issue.path.join('.'), issue.message]);
  };

  it('gets the format reason alone, never judged for the future on a reading of it in the server’s time zone', () => {
    // As reported: 09:30 is before 11:42, but read in the server's zone (UTC here) it was 17:30 in China.
    expect(problemsAt(new Date('2026-11-30T11:42:34+08:00'), { receivedAt: '2026/11/30 09:30' })).toEqual([
      ['receivedAt', format],
    ]);
    // Whatever the server's zone, years ahead: still only the format.
    expect(problemsAt(new Date('2026-11-30T11:42:34+08:00'), { receivedAt: '2099/01/01 09:30' })).toEqual([
      ['receivedAt', format],
    ]);
    expect(
      problemsAt(new Date('2026-11-30T11:42:34+08:00'), { receivedAt: '2099/01/01 09:30+08:00' }),
    ).toEqual([['receivedAt', format]]);
  });

  it('is not compared with the other time: a malformed 办理时限 or 受理时间 gets its format reason alone', () => {
    const now = new Date('2024-08-25T00:00:00Z');
    expect(problemsAt(now, { dueAt: '2024/08/01 09:00' })).toEqual([['dueAt', format]]);
    expect(problemsAt(now, { receivedAt: '2024/08/24 09:30', dueAt: '2024-08-24T09:00:00+08:00' })).toEqual([
      ['receivedAt', format],
    ]);
  });
});

describe('fingerprintOf: what makes a push a genuine update', () => {
  const fingerprint = (body: unknown, clientId = 'hotline-a') => fingerprintOf(normalise(body, clientId));
  const original = fingerprint(guo);

  it.each([
    ['new content', { content: `${guo.content}补充：老板电话打不通。` }],
    ['a reminder', { reminder: { count: 1 } }],
    ['one more reminder', { reminder: { count: 2 } }],
    ['a later reminder time', { reminder: { count: 1, lastAt: '2024-08-25T09:00:00+08:00' } }],
    ['a new classification', { category: { name: '劳动保障-劳动合同' } }],
    ['a due time', { dueAt: '2024-09-01T18:00:00+08:00' }],
    ['another place', { location: { divisionCode: '350802107' } }],
    ['an attachment', { attachments: [{ url: 'https://a.example/1.jpg' }] }],
    ['confidentiality', { caller: { ...guo.caller, confidential: true } }],
  ])('changes with %s', (_label, change) => {
    expect(fingerprint({ ...guo, ...change })).not.toBe(original);
  });

  const base = { ...guo, requestType: 'complaint' };
  it.each([
    ['the key order', Object.fromEntries(Object.entries(base).reverse())],
    ['the same instant at another offset', { ...base, receivedAt: '2024-08-24T01:30:00Z' }],
    ['spaces around the content', { ...base, content: ` ${guo.content}\n` }],
    ['fields we do not read', { ...base, pushedAt: '2024-08-24T10:00:00+08:00', operator: '话务员007' }],
    ['a Chinese label for the same code', { ...base, requestType: '投诉' }],
  ])('does not change with %s', (_label, body) => {
    expect(fingerprint(body)).toBe(fingerprint(base));
  });

  it('does not depend on which client pushed', () => {
    expect(fingerprint(guo, 'hotline-b')).toBe(original);
  });
});
