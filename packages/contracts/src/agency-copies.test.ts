import { describe, expect, it } from 'vitest';
import {
  type AssignedCopy,
  agencyMasks,
  agencyText,
  assignedCopy,
  assignmentWebhookData,
  confidentialNames,
  matterOfDecision,
  outsideText,
} from './agency-copies.ts';
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

/** The webhook's own fields, not on the Kafka copy: its sender's (notify's) knowledge. */
type NotOnTheCopy = 'caseId' | 'changes';

/**
 * Where each field of the webhook body is found on the department's Kafka copy: the webhook names
 * the department and the places by name and by code, and says null where the copy leaves a field
 * out. A field added to the webhook without its counterpart here fails the test below.
 */
const onTheCopy: {
  [F in Exclude<keyof AssignmentWebhookData, NotOnTheCopy>]-?: (copy: AssignedCopy) => unknown;
} = {
  disputeId: (copy) => copy.disputeId,
  version: (copy) => copy.version,
  role: (copy) => copy.role,
  department: (copy) => copy.department.name,
  departmentCode: (copy) => copy.department.code,
  partners: (copy) => copy.partners,
  category: (copy) => copy.category,
  severity: (copy) => copy.severity,
  place: (copy) => copy.place.names,
  placeCode: (copy) => copy.place.divisionCode,
  dueAt: (copy) => copy.dueAt,
  expressLane: (copy) => copy.expressLane,
  channel: (copy) => copy.channel,
  receivedAt: (copy) => copy.receivedAt,
  title: (copy) => copy.title ?? null,
  content: (copy) => copy.content,
  contact: (copy) => copy.contact && { name: copy.contact.name ?? null, phone: copy.contact.phone ?? null },
};

/** The case the webhook bodies name. */
const caseId = '0b8f2f4e-3c1d-5a6b-8c9d-0e1f2a3b4c5d';

/** Each department's Kafka copy of the decision, and the webhook body made of it. */
function toldOf(parties: Party[], titled: { title?: string } = { title: '民事赔偿纠纷' }, content?: string) {
  const matter = matterOfDecision(decisionFor(parties, titled, content));
  const dueAt = '2024-08-30T15:59:59.000Z';
  return matter.involved.map((involvement) => {
    const copy = assignedCopy(matter, involvement, dueAt);
    return { code: involvement.department.code, copy, body: assignmentWebhookData(copy, caseId) };
  });
}

describe("a department's webhook says what its Kafka copy says", () => {
  it('field by field, for the lead and each co-handler, the body being a valid published webhook', () => {
    const reports = [toldOf([yang]), toldOf([{ ...yang, confidential: true }]), toldOf([unnamed], {})];
    for (const told of reports) {
      for (const { copy, body } of told) {
        expect(AssignmentWebhookData.strict().parse(body)).toEqual(body);
        expect(Object.keys(body).filter((field) => !(field in onTheCopy))).toEqual(['caseId']);
        expect(body.caseId).toBe(caseId);
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
      // Nor by the name the report's text gives them (杨某起诉胡某…).
      expect(JSON.stringify([copy, body])).not.toContain('杨某');
    }
  });

  it("a confidential (保密) party's name typed into the title and content is masked for every department, the lead too; the others' names are kept", () => {
    const guo: Party = {
      role: 'caller',
      kind: 'person',
      name: '郭建华',
      phone: '13800000000',
      confidential: true,
    };
    const boss: Party = { role: 'respondent', kind: 'person', name: '王老板' };
    const told = toldOf(
      [guo, boss],
      { title: '郭建华反映王老板拖欠工资' },
      '我叫郭建华，在江山镇给王老板干活，他欠我3800元。郭建华 2024年8月',
    );
    expect(told.map(({ copy }) => copy.role)).toEqual(['lead', 'co', 'co']);
    for (const { copy, body } of told) {
      expect([copy.title, copy.content]).toEqual([
        '[保密当事人]反映王老板拖欠工资',
        '我叫[保密当事人]，在江山镇给王老板干活，他欠我3800元。[保密当事人] 2024年8月',
      ]);
      expect([body.title, body.content]).toEqual([copy.title, copy.content]);
      expect(JSON.stringify([copy, body])).not.toContain('郭建华');
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

  it("with a confidential (保密) party, the lead is not given the mobiles in the text either, nor that party's name", () => {
    const respondent: Party = { role: 'respondent', kind: 'person', name: '王五', confidential: true };
    const told = toldOf([yang, respondent], {}, reviewers);
    expect(told[0]?.copy.contact).toEqual({ name: '杨某', phone: '13800000000' });
    for (const { copy, body } of told) {
      expect(copy.content).toBe(
        '我叫张三，身份证号[身份证号]，电话[手机号]，在下洋镇被邻居[保密当事人]（身份证[身份证号]）打伤…',
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

describe("a confidential party's name in a report's text (agencyText)", () => {
  const wang: Party = { role: 'applicant', kind: 'person', name: '王建国', confidential: true };
  const text = '申请人王建国称，被申请人李四欠王建国工资。';

  it('only the names of the parties who asked for confidentiality, trimmed, each once, none shorter than 2 characters', () => {
    const parties: Party[] = [
      { ...wang, name: ' 王建国\u3000' },
      wang,
      { role: 'respondent', kind: 'person', name: '李四' },
      { role: 'caller', kind: 'person', name: '王', confidential: true },
      { role: 'caller', kind: 'person', name: ' 郭 ', confidential: true },
      { role: 'caller', kind: 'person', confidential: true },
      { role: 'other', kind: 'organisation', name: '江山镇某某建筑公司', confidential: true },
    ];
    expect(confidentialNames(parties)).toEqual(['王建国', '江山镇某某建筑公司']);
    // Case rows say null for a name not given.
    expect(confidentialNames([{ name: null, confidential: true }])).toEqual([]);
  });

  it('masks every occurrence of such a name as `[保密当事人]`, and only those: the rest as written', () => {
    expect(agencyMasks.name).toBe('[保密当事人]');
    expect(agencyText(text, 'kept', ['王建国'])).toBe(
      '申请人[保密当事人]称，被申请人李四欠[保密当事人]工资。',
    );
    expect(agencyText(text, 'kept', [])).toBe(text);
    // A name that is not written whole is not masked: exact occurrences only.
    expect(agencyText('王建称王国建', 'masked', ['王建国'])).toBe('王建称王国建');
  });

  it('with the numbers masked as before, whichever way the mobiles go', () => {
    const typed = '我叫王建国，电话13511112222，身份证350802198502021235';
    expect(agencyText(typed, 'kept', ['王建国'])).toBe('我叫[保密当事人]，电话13511112222，身份证[身份证号]');
    expect(agencyText(typed, 'masked', ['王建国'])).toBe('我叫[保密当事人]，电话[手机号]，身份证[身份证号]');
  });

  it('the longer of two names one inside the other is masked whole', () => {
    expect(agencyText('王建国和王建国华都来了', 'masked', ['王建国', '王建国华'])).toBe(
      '[保密当事人]和[保密当事人]都来了',
    );
  });

  it('Latin letters, digits and signs in a name match in full or half width, as a Chinese keyboard types them', () => {
    const names = confidentialNames([
      { name: 'Zhang Wei', confidential: true },
      { name: '３M（龙岩）公司', confidential: true },
    ]);
    expect(agencyText('来电人Ｚｈａｎｇ\u3000Ｗｅｉ投诉3Ｍ(龙岩)公司', 'masked', names)).toBe(
      '来电人[保密当事人]投诉[保密当事人]',
    );
    expect(agencyText('Zhang Wei, 3M（龙岩）公司', 'masked', names)).toBe('[保密当事人], [保密当事人]');
    // Width only: another case or spelling is another text.
    expect(agencyText('zhang wei', 'masked', names)).toBe('zhang wei');
  });

  it('a name with the signs a pattern gives a meaning to is read as written', () => {
    expect(agencyText('A.B*C公司与AxB公司', 'masked', ['A.B*C公司'])).toBe('[保密当事人]与AxB公司');
  });
});

describe('words written about a case, as each receiver outside the platform is told them (outsideText)', () => {
  const summary =
    '老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证350802199001011234）';
  const confidential = { asked: true, names: ['郭建华'] };

  it("a department as its copies read: the lead keeps the mobiles only where nobody asked for confidentiality; nobody an ID-card number or a confidential party's name", () => {
    expect(outsideText(summary, 'lead', confidential)).toBe(
      '老板同意一次性支付[保密当事人]工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]）',
    );
    expect(outsideText(summary, 'co', confidential)).toBe(outsideText(summary, 'lead', confidential));
    const nobody = { asked: false, names: [] };
    expect(outsideText(summary, 'lead', nobody)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证[身份证号]）',
    );
    expect(outsideText(summary, 'co', nobody)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]）',
    );
  });

  it('the referring court as a department that does not lead; the hotline with its ID-card numbers alone masked', () => {
    expect(outsideText(summary, 'court', { asked: false, names: [] })).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]）',
    );
    expect(outsideText(summary, 'court', confidential)).toBe(
      '老板同意一次性支付[保密当事人]工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]）',
    );
    expect(outsideText(summary, 'hotline', confidential)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话13812345678；被申请人张伟（身份证[身份证号]）',
    );
  });

  it("not knowing who asked for confidentiality (an event from before it was carried): every mobile masked, the lead's too", () => {
    expect(outsideText(summary, 'lead', undefined)).toBe(
      '老板同意一次性支付郭建华工资3800元，联系电话[手机号]；被申请人张伟（身份证[身份证号]）',
    );
  });
});
