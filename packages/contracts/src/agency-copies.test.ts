import { describe, expect, it } from 'vitest';
import { type AssignedCopy, assignedCopy, assignmentWebhookData, matterOfDecision } from './agency-copies.ts';
import { DisputeAssignedV1 } from './events/dispute-assignment-v1.ts';
import type { Party } from './events/dispute-intake-v1.ts';
import { AssignmentWebhookData } from './webhooks/agency-webhook.ts';

/** Yang's case (MISSION.md): the district police lead, with the court and the town's judicial office. */
const police = {
  code: '350803-psb',
  kind: 'public_security_bureau',
  name: '永定区公安局',
  divisionCode: '350803',
};
const court = { code: '350803-court', kind: 'court', name: '永定区人民法院', divisionCode: '350803' };
const office = {
  code: '350803105-sfs',
  kind: 'judicial_office',
  name: '下洋镇司法所',
  divisionCode: '350803105',
};
const yang: Party = { role: 'caller', kind: 'person', name: '杨某', phone: '13800000000' };
const unnamed: Party = { role: 'caller', kind: 'person', phone: '13800000000' };

/** The work order a reviewer pushed: the hotline operator typed the caller's numbers into it. */
const reviewers =
  '我叫张三，身份证号350802198502021235，电话13511112222，在下洋镇被邻居王五（身份证350803197703031239）打伤…';

/** The decision on a report of these parties, titled or not (not every channel gives a title). */
const decisionFor = (
  parties: Party[],
  titled: { title?: string },
  content = '杨某起诉胡某要求赔偿，胡某拒不履行，多次反映。',
) =>
  DisputeAssignedV1.parse({
    disputeId: '6f1c2b9e-8d1a-5c3e-9f0a-1b2c3d4e5f60',
    version: 2,
    decidedAt: '2024-08-24T01:30:05.000Z',
    jurisdiction: {
      cityCode: '350800',
      countyCode: '350803',
      townCode: '350803105',
      names: ['龙岩市', '永定区', '下洋镇'],
      resolution: 'exact',
    },
    category: 'damages',
    severity: 'major',
    lead: police,
    coHandlers: [court, office],
    dueAt: '2024-09-03T01:30:05.000Z',
    expressLane: { level: 'county', reason: '涉法涉诉，多次反映' },
    triage: null,
    trace: {
      rulesVersion: 'test',
      rules: [],
      place: { how: 'exact', evidence: 'address', candidates: [] },
      category: { source: 'text', confidence: 0.9 },
    },
    dispute: {
      disputeId: '6f1c2b9e-8d1a-5c3e-9f0a-1b2c3d4e5f60',
      channel: 'hotline_12345',
      sourceRef: 'GD20240824002',
      revision: 1,
      receivedAt: '2024-08-24T01:30:00.000Z',
      ...titled,
      content,
      location: { address: '福建省龙岩市永定区下洋镇' },
      parties,
      attachments: [],
    },
  });

/**
 * Where each field of the webhook body is found on the department's Kafka copy: the webhook names
 * the department and the places, and says null where the copy leaves a field out. A field added
 * to the webhook without its counterpart here fails the test below.
 */
const onTheCopy: { [F in keyof AssignmentWebhookData]-?: (copy: AssignedCopy) => unknown } = {
  disputeId: (copy) => copy.disputeId,
  version: (copy) => copy.version,
  role: (copy) => copy.role,
  department: (copy) => copy.department.name,
  partners: (copy) => copy.partners,
  category: (copy) => copy.category,
  severity: (copy) => copy.severity,
  place: (copy) => copy.place.names,
  dueAt: (copy) => copy.dueAt,
  expressLane: (copy) => copy.expressLane,
  title: (copy) => copy.title ?? null,
  content: (copy) => copy.content,
  contact: (copy) => copy.contact && { name: copy.contact.name ?? null, phone: copy.contact.phone ?? null },
};

/** Each department's Kafka copy of the decision, and the webhook body made of it. */
function toldOf(parties: Party[], titled: { title?: string } = { title: '民事赔偿纠纷' }, content?: string) {
  const matter = matterOfDecision(decisionFor(parties, titled, content));
  const dueAt = '2024-08-30T15:59:59.000Z';
  return matter.involved.map((involvement) => {
    const copy = assignedCopy(matter, involvement, dueAt);
    return { code: involvement.department.code, copy, body: assignmentWebhookData(copy) };
  });
}

describe("a department's webhook says what its Kafka copy says", () => {
  it('field by field, for the lead and each co-handler, the body being a valid published webhook', () => {
    const reports = [toldOf([yang]), toldOf([{ ...yang, confidential: true }]), toldOf([unnamed], {})];
    for (const told of reports) {
      for (const { copy, body } of told) {
        expect(AssignmentWebhookData.strict().parse(body)).toEqual(body);
        expect(Object.keys(body).filter((field) => !(field in onTheCopy))).toEqual([]);
        for (const [field, valueOnCopy] of Object.entries(onTheCopy)) {
          expect({ field, value: body[field as keyof AssignmentWebhookData] }).toEqual({
            field,
            value: valueOnCopy(copy),
          });
        }
      }
    }
  });

  it("only the lead gets the caller's contact, on both; a co-handler learns who leads and who else handles it", () => {
    const [lead, courtTold, officeTold] = toldOf([yang]);
    expect([lead?.copy.contact, lead?.body.contact]).toEqual([
      { name: '杨某', phone: '13800000000' },
      { name: '杨某', phone: '13800000000' },
    ]);
    for (const told of [courtTold, officeTold]) {
      expect([told?.copy.contact, told?.body.contact]).toEqual([undefined, undefined]);
    }
    expect(officeTold?.body.partners).toEqual([
      { code: police.code, name: police.name, role: 'lead' },
      { code: court.code, name: court.name, role: 'co' },
    ]);
    expect(officeTold?.copy.partners).toEqual(officeTold?.body.partners);
  });

  it('a caller who asked for confidentiality (保密) is named to nobody, on Kafka or by webhook', () => {
    for (const { copy, body } of toldOf([{ ...yang, confidential: true }])) {
      expect(['contact' in copy, 'contact' in body]).toEqual([false, false]);
      expect(JSON.stringify([copy, body])).not.toContain('13800000000');
    }
  });

  it('the lead is given the applicant to call back, whoever is listed first: the citizen the platform writes to', () => {
    const applicant: Party = { role: 'applicant', kind: 'person', name: '杨某', phone: '13900000001' };
    const [lead] = toldOf([{ ...yang, name: '代为来电的亲属', phone: '13700000002' }, applicant]);
    expect([lead?.copy.contact, lead?.body.contact]).toEqual([
      { name: '杨某', phone: '13900000001' },
      { name: '杨某', phone: '13900000001' },
    ]);
  });

  it("no department's copy quotes an ID-card number the report's text holds, nor, but to the lead, a mobile", () => {
    const [lead, ...others] = toldOf(
      [yang],
      { title: '张三（350802198502021235，135-1111-2222）被打伤' },
      reviewers,
    );
    expect([lead?.copy.title, lead?.copy.content]).toEqual([
      '张三（[身份证号]，135-1111-2222）被打伤',
      '我叫张三，身份证号[身份证号]，电话13511112222，在下洋镇被邻居王五（身份证[身份证号]）打伤…',
    ]);
    for (const { copy, body } of others) {
      expect([copy.title, copy.content]).toEqual([
        '张三（[身份证号]，[手机号]）被打伤',
        '我叫张三，身份证号[身份证号]，电话[手机号]，在下洋镇被邻居王五（身份证[身份证号]）打伤…',
      ]);
      expect([body.title, body.content]).toEqual([copy.title, copy.content]);
    }
  });

  it('with a confidential (保密) party, the lead is not given the mobiles in the text either', () => {
    const respondent: Party = { role: 'respondent', kind: 'person', name: '王五', confidential: true };
    const told = toldOf([yang, respondent], {}, reviewers);
    expect(told[0]?.copy.contact).toEqual({ name: '杨某', phone: '13800000000' });
    for (const { copy, body } of told) {
      expect(copy.content).toBe(
        '我叫张三，身份证号[身份证号]，电话[手机号]，在下洋镇被邻居王五（身份证[身份证号]）打伤…',
      );
      expect(body.content).toBe(copy.content);
    }
  });

  it('a contact without a name: the copy leaves it out, the webhook says null', () => {
    const [lead] = toldOf([unnamed]);
    expect([lead?.copy.contact, lead?.body.contact]).toEqual([
      { phone: '13800000000' },
      { name: null, phone: '13800000000' },
    ]);
  });
});
