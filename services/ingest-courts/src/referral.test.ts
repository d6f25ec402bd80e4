import { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { describe, expect, it } from 'vitest';
import { now, referral } from '../test/fixtures.ts';
import { courtCodes } from './courts.ts';
import { normaliseReferral, referralSchema, validateReferral } from './referral.ts';

const schema = referralSchema(() => now);
const check = (body: unknown) => validateReferral(schema, body, now);
const normalise = (body: unknown, clientId = 'demo-court') => {
  const result = check(body);
  if (!result.ok) throw new Error(JSON.stringify(result.error.issues));
  return normaliseReferral(result.value, { clientId, receivedAt: now });
};
const problems = (body: unknown) => {
  const result = check(body);
  if (result.ok) throw new Error('expected the referral to be rejected');
  return result.error.issues.map((issue) => ({ field: issue.path.join('.'), reason: issue.message }));
};

describe('normaliseReferral', () => {
  it('turns a referral into one dispute.intake.v1 event the contract accepts', () => {
    const dispute = normalise(referral());
    expect(DisputeReceivedV1.parse(dispute)).toEqual(dispute);
    expect(dispute).toEqual({
      disputeId: disputeIdFor('court', '（2024）闽0803民诉前调123号'),
      channel: 'court',
      sourceRef: '（2024）闽0803民诉前调123号',
      sourceClient: 'demo-court',
      revision: 1,
      receivedAt: '2024-09-01T02:00:00.000Z',
      title: '民间借贷纠纷（（2024）闽0803民诉前调123号）',
      content:
        '案由：民间借贷纠纷\n诉讼请求：\n1. 判令被告归还借款人民币50000元\n2. 本案诉讼费用由被告承担\n' +
        '事实与理由：2023年3月被告向原告借款50000元，约定半年内归还，至今未还。',
      sourceCategory: { scheme: 'court_cause', name: '民间借贷纠纷' },
      location: { divisionCode: '350803', address: '福建省龙岩市永定区下洋镇中川村' },
      parties: [
        {
          role: 'applicant',
          kind: 'person',
          name: '杨某',
          phone: '13800000001',
          idNumber: '35082219800101001X',
        },
        { role: 'respondent', kind: 'person', name: '胡某' },
      ],
      amountClaimed: 50000,
      dueAt: '2024-09-19T23:59:59+08:00',
      attachments: [],
      court: {
        courtCode: '闽0803',
        courtName: '龙岩市永定区人民法院',
        caseType: '民诉前调',
        referralDate: '2024-08-20',
        referredBy: 'demo-court',
        claims: ['判令被告归还借款人民币50000元', '本案诉讼费用由被告承担'],
      },
    });
  });

  it('gives the same dispute for every spelling of the case number', () => {
    const ids = [
      '（2024）闽0803民诉前调123号',
      '(2024)闽0803民诉前调123号',
      '（２０２４）闽0803 民诉前调 0123 号',
    ].map((caseNumber) => normalise(referral({ caseNumber })));
    expect(new Set(ids.map((dispute) => dispute.disputeId)).size).toBe(1);
    expect(new Set(ids.map((dispute) => dispute.sourceRef))).toEqual(
      new Set(['（2024）闽0803民诉前调123号']),
    );
  });

  it("keeps the court's own code of the cause of action", () => {
    const dispute = normalise(referral({ causeOfAction: { code: 'C-0103', name: '民间借贷纠纷' } }));
    expect(dispute.sourceCategory).toEqual({ scheme: 'court_cause', code: 'C-0103', name: '民间借贷纠纷' });
  });

  it.each([
    ['闽08', '350800'],
    ['闽0802', '350802'],
    ['闽0803', '350803'],
    ['闽0821', '350821'],
    ['闽0823', '350823'],
    ['闽0824', '350824'],
    ['闽0825', '350825'],
    ['闽0881', '350881'],
  ])("a referral from %s is placed in the court's county %s when it names no place", (court, division) => {
    const dispute = normalise(
      referral({ caseNumber: `(2024)${court}民诉前调9号`, court: undefined, parties: parties() }),
    );
    expect(dispute.location).toEqual({ divisionCode: division });
  });

  it('covers every court in the table', () => {
    expect(courtCodes).toHaveLength(8);
  });

  it('prefers the described place to the court and to the parties', () => {
    const dispute = normalise(
      referral({ place: { divisionCode: '350802107', address: '新罗区江山镇某水库' } }),
    );
    expect(dispute.location).toEqual({ divisionCode: '350802107', address: '新罗区江山镇某水库' });
  });

  it("keeps the court's county when the place names only the city", () => {
    const dispute = normalise(referral({ place: { divisionCode: '350800' } }));
    expect(dispute.location).toEqual({ divisionCode: '350803', address: '福建省龙岩市永定区下洋镇中川村' });
  });

  it("takes the applicant's address when the respondent has none, and any party's after that", () => {
    const [applicant, respondent] = parties();
    expect(
      normalise(referral({ parties: [{ ...applicant, address: '永定区凤城街道' }, respondent] })).location,
    ).toEqual({ divisionCode: '350803', address: '永定区凤城街道' });
    expect(
      normalise(
        referral({
          parties: [
            applicant,
            respondent,
            { role: 'third_party', kind: 'person', name: '李某', address: '湖雷镇' },
          ],
        }),
      ).location,
    ).toEqual({ divisionCode: '350803', address: '湖雷镇' });
  });

  it('maps organisations and third parties onto the platform parties', () => {
    const dispute = normalise(
      referral({
        parties: [
          {
            role: 'applicant',
            kind: 'organisation',
            name: '龙岩某建设有限公司',
            idNumber: '91350800MA2XXXXX0X',
          },
          { role: 'respondent', kind: 'person', name: '王某' },
          { role: 'third_party', kind: 'person', name: '李某' },
        ],
      }),
    );
    expect(dispute.parties).toEqual([
      { role: 'applicant', kind: 'organisation', name: '龙岩某建设有限公司', idNumber: '91350800MA2XXXXX0X' },
      { role: 'respondent', kind: 'person', name: '王某' },
      { role: 'other', kind: 'person', name: '李某' },
    ]);
  });

  it('keeps a deadline given as a moment, and the attachments', () => {
    const dispute = normalise(
      referral({
        mediationDeadline: '2024-09-19T17:00:00+08:00',
        attachments: [{ url: 'https://court.example/files/1.pdf', name: '起诉状' }],
      }),
    );
    expect(dispute.dueAt).toBe('2024-09-19T17:00:00+08:00');
    expect(dispute.attachments).toEqual([{ url: 'https://court.example/files/1.pdf', name: '起诉状' }]);
  });

  it('passes a mobile on as its 11 digits however the court wrote it, a landline as written', () => {
    const applicantPhone = (phone: string) => {
      const [applicant, respondent] = parties();
      return normalise(referral({ parties: [{ ...applicant, phone }, respondent] })).parties[0]?.phone;
    };
    expect(applicantPhone('+86-138-0000-0001')).toBe('13800000001');
    expect(applicantPhone('138 0000 0001')).toBe('13800000001');
    expect(applicantPhone('+86 138 0000 0001')).toBe('13800000001');
    expect(applicantPhone('0597-2345678')).toBe('0597-2345678');
  });

  it('leaves out the amount when the court gives none', () => {
    const { amount: _, ...withoutAmount } = referral();
    expect(normalise(withoutAmount).amountClaimed).toBeUndefined();
  });

  it("is routed by routing's own rules: the cause maps to a category, the court's county and the address to a town", () => {
    const decision = createRouter().decide(normalise(referral()), now);
    expect(decision.category).toBe('contract');
    expect(decision.jurisdiction).toMatchObject({ countyCode: '350803', townCode: '350803102' });
    expect(decision.triage).toBeNull();
  });
});

describe('validateReferral rejects, naming the field', () => {
  it.each([
    ['a bad case number', { caseNumber: '(2024)京0105民初1号' }, 'caseNumber', /not a court of Longyan/],
    ['a court other than the case number’s', { court: { code: '闽0802' } }, 'court.code', /闽0803/],
    ['no cause of action', { causeOfAction: undefined }, 'causeOfAction', /./],
    ['an empty cause of action', { causeOfAction: { name: '  ' } }, 'causeOfAction.name', /empty/],
    ['no claims', { claims: [] }, 'claims', /at least one claim/],
    ['an empty claim', { claims: ['判令被告还款', ''] }, 'claims.1', /empty/],
    ['a negative amount', { amount: -1 }, 'amount', /./],
    ['an amount in tenths of a fen', { amount: 10.005 }, 'amount', /two decimals/],
    ['an amount as a string', { amount: '50000' }, 'amount', /./],
    ['a referral date that is not a date', { referralDate: '20.08.2024' }, 'referralDate', /YYYY-MM-DD/],
    ['a referral date in the future', { referralDate: '2024-09-02' }, 'referralDate', /after today/],
    [
      'a referral date before the case year',
      { referralDate: '2023-12-31', mediationDeadline: '2024-01-30' },
      'referralDate',
      /before the case number's year 2024/,
    ],
    ['a deadline before the referral', { mediationDeadline: '2024-08-19' }, 'mediationDeadline', /before/],
    ['a deadline years away', { mediationDeadline: '2026-08-19' }, 'mediationDeadline', /more than a year/],
    ['a deadline without offset', { mediationDeadline: '2024-09-19T17:00:00' }, 'mediationDeadline', /./],
    ['a place outside Longyan', { place: { divisionCode: '350100' } }, 'place.divisionCode', /Longyan/],
    [
      'a javascript: attachment',
      { attachments: [{ url: 'javascript:alert(1)' }] },
      'attachments.0.url',
      /http/,
    ],
    ['facts too long for the event', { facts: 'x'.repeat(20_000) }, 'facts', /exceed 20000/],
  ])('%s', (_label, overrides, field, reason) => {
    const found = problems(referral(overrides));
    expect(found.map((problem) => problem.field)).toContain(field);
    expect(found.find((problem) => problem.field === field)?.reason).toMatch(reason);
  });

  it.each([
    ['with slashes', { referralDate: '2024/08/20' }, 'referralDate', 'a date, YYYY-MM-DD'],
    ['without dashes', { referralDate: '20240820' }, 'referralDate', 'a date, YYYY-MM-DD'],
    ['on no day of the calendar', { referralDate: '2024-02-30' }, 'referralDate', 'no such day: 2024-02-30'],
    [
      'as a deadline with slashes',
      { mediationDeadline: '2024/09/19' },
      'mediationDeadline',
      'a date (YYYY-MM-DD) or a date-time with offset',
    ],
    [
      'as a deadline on no day',
      { mediationDeadline: '2024-09-31' },
      'mediationDeadline',
      'no such day: 2024-09-31',
    ],
    [
      'as a deadline moment on no day',
      { mediationDeadline: '2025-02-29T17:00:00+08:00' },
      'mediationDeadline',
      'no such day: 2025-02-29',
    ],
  ])(
    'gives a malformed date %s its one true reason, and no comparison with other dates',
    (_label, overrides, field, reason) => {
      // A past date in another spelling was also called "after today": the dates were compared as strings.
      expect(problems(referral(overrides))).toEqual([{ field, reason }]);
    },
  );

  it('does not compare a deadline with a malformed referral date', () => {
    expect(problems(referral({ referralDate: '2024/08/20', mediationDeadline: '2024-08-01' }))).toEqual([
      { field: 'referralDate', reason: 'a date, YYYY-MM-DD' },
    ]);
  });

  it('needs an applicant and a respondent', () => {
    const [applicant] = parties();
    expect(problems(referral({ parties: [applicant, { ...applicant, name: '杨某二' }] }))).toEqual([
      { field: 'parties', reason: 'a respondent is required' },
    ]);
    expect(problems(referral({ parties: [] }))).toEqual([
      { field: 'parties', reason: 'an applicant is required' },
      { field: 'parties', reason: 'a respondent is required' },
    ]);
  });

  it('names a bad party field by its index', () => {
    const [applicant, respondent] = parties();
    const found = problems(
      referral({ parties: [applicant, { ...respondent, kind: 'company', phone: 'x' }] }),
    );
    expect(found.map((problem) => problem.field).sort()).toEqual(['parties.1.kind', 'parties.1.phone']);
  });

  it('reports the case number together with the other fields', () => {
    const found = problems(referral({ caseNumber: '(2024)闽0803执1号', claims: [] }));
    expect(found.map((problem) => problem.field).sort()).toEqual(['caseNumber', 'claims']);
  });

  it.each([null, 42, 'referral', [], {}])('rejects a body that is %j', (body) => {
    expect(check(body).ok).toBe(false);
  });
});

function parties() {
  return [
    { role: 'applicant', kind: 'person', name: '杨某' },
    { role: 'respondent', kind: 'person', name: '胡某' },
  ] as const;
}
