import type { AgencyAssignmentV1 } from '@huijie/contracts/events/agency-assignment-v1.ts';
import { CaseCorrectedV1 } from '@huijie/contracts/events/case-correction-v1.ts';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { describe, expect, it } from 'vitest';
import { eventsForCorrection, eventsForDecision } from './assign.ts';
import { createRouter } from './domain/router.ts';

const router = createRouter();
const guo: DisputeReceivedV1 = {
  disputeId: 'be014981-ffc9-5313-9b8d-78650a51da36',
  channel: 'wechat',
  sourceRef: 'WX20240824001',
  revision: 1,
  receivedAt: '2024-08-24T09:30:00+08:00',
  content: '在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元',
  location: { divisionCode: '350802107' },
  parties: [
    { role: 'applicant', kind: 'person', name: '郭某', phone: '13800000000', idNumber: '350802199001011234' },
    { role: 'respondent', kind: 'person', name: '包工头王某' },
  ],
  attachments: [],
};
const now = new Date('2024-08-24T10:00:00+08:00');

describe('what one decision publishes', () => {
  it('the decision, and each department its own copy on its own topic; only the lead gets the contact', () => {
    const [decision, ...copies] = eventsForDecision(router, guo, now);
    expect(decision!.name).toBe('dispute.assignment.v1');
    expect(copies.map((event) => event.topic)).toEqual([
      'agency.350802107-judicial_office.assignment.v1',
      'agency.350802-labor_inspection.assignment.v1',
    ]);
    const [lead, co] = copies.map((event) => event.data as AgencyAssignmentV1);
    expect(lead).toMatchObject({
      action: 'assigned',
      role: 'lead',
      contact: { name: '郭某', phone: '13800000000' },
    });
    expect(lead!.partners).toEqual([
      { code: '350802-labor_inspection', name: '新罗区劳动保障监察大队', role: 'co' },
    ]);
    expect(co).toMatchObject({ action: 'assigned', role: 'co' });
    expect(co!.contact).toBeUndefined();
    expect(JSON.stringify(copies)).not.toContain('350802199001011234');
    expect(JSON.stringify(co)).not.toContain('13800000000');
  });

  it('the same input gives the same event ids (a redelivery is recognisably the same decision)', () => {
    const ids = (events: ReturnType<typeof eventsForDecision>) => events.map((event) => event.id);
    expect(ids(eventsForDecision(router, guo, now))).toEqual(ids(eventsForDecision(router, guo, new Date())));
  });

  it('a historical record is placed and assigned for the record, but no agency is sent it; a later correction is', () => {
    const historical = { ...guo, historical: {} };
    const filed = eventsForDecision(router, historical, now);
    expect(filed.map((event) => event.name)).toEqual(['dispute.assignment.v1']);
    expect((filed[0]!.data as { lead: { code: string } }).lead.code).toBe('350802107-judicial_office');
    const corrected = eventsForDecision(router, historical, now, { version: 2 });
    expect(corrected.filter((event) => event.name === 'agency.assignment.v1')).toHaveLength(2);
  });

  it('a re-routing tells departments it leaves out that they are withdrawn', () => {
    const moved = { ...guo, location: { divisionCode: '350803104' } };
    const events = eventsForDecision(router, moved, now, {
      version: 2,
      currentDepartments: ['350802107-judicial_office', '350802-labor_inspection'],
    });
    const withdrawn = events
      .filter((event) => (event.data as AgencyAssignmentV1).action === 'withdrawn')
      .map((event) => event.topic);
    expect(withdrawn).toEqual([
      'agency.350802107-judicial_office.assignment.v1',
      'agency.350802-labor_inspection.assignment.v1',
    ]);
    expect(events.every((event) => (event.data as { version: number }).version === 2)).toBe(true);
  });

  it("a re-routing tells each department the deadline the case will hold: a kept lead's earlier one, never past the court's date", () => {
    const copies = (options: Parameters<typeof eventsForDecision>[3]) =>
      eventsForDecision(router, guo, now, { version: 2, ...options })
        .filter((event) => event.name === 'agency.assignment.v1')
        .map((event) => event.data as AgencyAssignmentV1)
        .map(({ department, role, dueAt }) => ({ code: department.code, role, dueAt }));
    const [decision] = eventsForDecision(router, guo, now, { version: 2 });
    const decided = (decision!.data as { dueAt: string }).dueAt;
    const earlier = new Date(Date.parse(decided) - 24 * 3600 * 1000).toISOString();

    // The lead keeps its role, so its earlier deadline; the co-handler joins at the case's.
    expect(
      copies({
        currentDepartments: ['350802107-judicial_office'],
        currentAssignments: [{ code: '350802107-judicial_office', role: 'lead', dueAt: earlier }],
      }),
    ).toEqual([
      { code: '350802107-judicial_office', role: 'lead', dueAt: earlier },
      { code: '350802-labor_inspection', role: 'co', dueAt: earlier },
    ]);
    // A department that held another role starts at the decision's.
    expect(
      copies({ currentAssignments: [{ code: '350802107-judicial_office', role: 'co', dueAt: earlier }] }),
    ).toEqual([
      { code: '350802107-judicial_office', role: 'lead', dueAt: decided },
      { code: '350802-labor_inspection', role: 'co', dueAt: decided },
    ]);
    const court = '2024-08-26T23:59:59+08:00';
    expect(copies({ courtDueAt: court }).map((copy) => copy.dueAt)).toEqual([court, court]);
  });

  it("a graver report that joined the case decides its next version, published for the case's first report", () => {
    const yang: DisputeReceivedV1 = {
      disputeId: '6f1d2c3b-4a5e-5f60-8a7b-1c2d3e4f5a6b',
      channel: 'hotline_12345',
      sourceRef: 'YANG-1',
      revision: 1,
      receivedAt: '2024-06-01T10:00:00+08:00',
      content: '借给同村人胡某5万元，写了借条，到期不还钱，请政府帮忙。',
      location: { address: '龙岩市永定区下洋镇中川村' },
      parties: [{ role: 'caller', kind: 'person', name: '杨某', phone: '13900000001' }],
      attachments: [],
    };
    const referral: DisputeReceivedV1 = {
      ...yang,
      disputeId: '7a2e3d4c-5b6f-5071-9b8c-2d3e4f5a6b7c',
      channel: 'court',
      sourceRef: '（2024）闽0803民诉前调9号',
      content: '被告借款50000元到期未还，原告多次反映至今未解决。',
      court: {
        courtCode: '闽0803',
        courtName: '龙岩市永定区人民法院',
        caseType: '诉前调解',
        referralDate: '2024-06-05',
        referredBy: 'yd-court',
      },
    };
    const [first] = eventsForDecision(router, yang, now);
    const hotlineLead = (first!.data as DisputeAssignedV1).lead!.code;
    const events = eventsForDecision(router, yang, now, {
      version: 2,
      decideOn: referral,
      currentDepartments: [hotlineLead],
    });
    const decision = events[0]!.data as DisputeAssignedV1;
    expect({ disputeId: decision.disputeId, sourceRef: decision.dispute.sourceRef }).toEqual({
      disputeId: yang.disputeId,
      sourceRef: 'YANG-1',
    });
    expect({ severity: decision.severity, lead: decision.lead?.name }).toEqual({
      severity: 'major',
      lead: '永定区公安局',
    });
    const copies = events.slice(1).map((event) => event.data as AgencyAssignmentV1);
    expect(copies.every((copy) => copy.disputeId === yang.disputeId && copy.version === 2)).toBe(true);
    expect(copies.find((copy) => copy.role === 'lead')?.department.name).toBe('永定区公安局');
  });

  it("a request from a cases service that does not say what departments hold routes with the decision's deadline", () => {
    const request = CaseCorrectedV1.parse({
      caseId: '0b6f4d5e-9a3c-4c1e-8f2a-6d7e8f9a0b1c',
      version: 2,
      dispute: guo,
      currentDepartments: ['350802107-judicial_office'],
      corrected: {},
      by: 'cases:revision',
      reason: '催办',
      occurredAt: now.toISOString(),
    });
    const events = eventsForDecision(router, request.dispute, now, request);
    const decided = (events[0]!.data as { dueAt: string }).dueAt;
    expect(events.slice(1).map((event) => (event.data as AgencyAssignmentV1).dueAt)).toEqual([
      decided,
      decided,
    ]);
  });

  it("no copy quotes the ID-card numbers a hotline operator typed into the report, and only the lead's quotes the phone", () => {
    const zhang: DisputeReceivedV1 = {
      ...guo,
      disputeId: 'be014981-ffc9-5313-9b8d-78650a51da37',
      channel: 'hotline_12345',
      sourceRef: 'GD20240824003',
      content:
        '我叫张三，身份证号350802198502021235，电话13511112222，在下洋镇被邻居王五（身份证350803197703031239）打伤…',
      location: { address: '福建省龙岩市永定区下洋镇' },
      parties: [{ role: 'caller', kind: 'person', name: '张三', phone: '13511112222' }],
    };
    const copies = eventsForDecision(router, zhang, now)
      .slice(1)
      .map((event) => event.data as AgencyAssignmentV1);
    // Withdrawn from a re-routing, a department is told the matter's text the same way.
    const withdrawn = eventsForDecision(router, zhang, now, {
      version: 2,
      currentDepartments: ['350802107-judicial_office'],
    }).find((event) => (event.data as AgencyAssignmentV1).action === 'withdrawn')?.data as AgencyAssignmentV1;
    expect(copies.map((copy) => [copy.department.name, copy.role])).toEqual([
      ['下洋镇司法所', 'lead'],
      ['下洋派出所', 'co'],
    ]);
    const [lead, co] = copies;
    expect(lead!.content).toBe(
      '我叫张三，身份证号[身份证号]，电话13511112222，在下洋镇被邻居王五（身份证[身份证号]）打伤…',
    );
    for (const copy of [co!, withdrawn]) {
      expect(copy.content).toBe(
        '我叫张三，身份证号[身份证号]，电话[手机号]，在下洋镇被邻居王五（身份证[身份证号]）打伤…',
      );
    }
  });

  it('a caller the hotline marked confidential (保密) is not passed on, not even to the lead', () => {
    const confidential = {
      ...guo,
      parties: [
        {
          role: 'caller' as const,
          kind: 'person' as const,
          name: '郭某',
          phone: '13800000000',
          confidential: true,
        },
      ],
    };
    const copies = eventsForDecision(router, confidential, now).slice(1);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect((copy.data as AgencyAssignmentV1).contact).toBeUndefined();
    expect(JSON.stringify(copies)).not.toContain('13800000000');
  });

  it("nor is the name of a confidential (保密) caller typed into the report's text, to any department, the lead included", () => {
    const named: DisputeReceivedV1 = {
      ...guo,
      disputeId: 'be014981-ffc9-5313-9b8d-78650a51da38',
      sourceRef: 'WX20240824004',
      title: '郭建华反映包工头王某欠薪',
      content: '我叫郭建华，在新罗区江山镇修水库大坝干了19天，包工头王某一直不给工资，共3800元',
      parties: [
        { role: 'caller', kind: 'person', name: '郭建华', phone: '13800000000', confidential: true },
        { role: 'respondent', kind: 'person', name: '包工头王某' },
      ],
    };
    const copies = eventsForDecision(router, named, now)
      .slice(1)
      .map((event) => event.data as AgencyAssignmentV1);
    expect(copies.map((copy) => copy.role)).toEqual(['lead', 'co']);
    for (const copy of copies) {
      expect([copy.title, copy.content]).toEqual([
        '[保密当事人]反映包工头王某欠薪',
        '我叫[保密当事人]，在新罗区江山镇修水库大坝干了19天，包工头王某一直不给工资，共3800元',
      ]);
    }
    expect(JSON.stringify(copies)).not.toContain('郭建华');
  });
});

describe('a re-routing of a case on the secretary express lane', () => {
  /** A case's request to route `dispute` again, as cases sends it: on `currentLane`, if given. */
  const request = (dispute: DisputeReceivedV1, currentLane?: object) =>
    CaseCorrectedV1.parse({
      caseId: '0b6f4d5e-9a3c-4c1e-8f2a-6d7e8f9a0b1c',
      version: 3,
      dispute,
      currentDepartments: ['350802107-judicial_office', '350802-labor_inspection'],
      ...(currentLane && { currentLane }),
      corrected: { category: 'labor' },
      by: 'operator:city',
      reason: '核实类别',
      occurredAt: now.toISOString(),
    });
  /** The lane the decision says, and the lane each department's copy says, by department. */
  const lanes = (events: ReturnType<typeof eventsForDecision>) => ({
    decision: (events[0]!.data as DisputeAssignedV1).expressLane?.level ?? null,
    copies: events
      .slice(1)
      .map((event) => [
        event.topic,
        (event.data as AgencyAssignmentV1).action,
        (event.data as AgencyAssignmentV1).expressLane,
      ]),
  });
  const onCounty = { level: 'county', divisionCode: '350802', reason: 'manual' };

  it("keeps the county lane an operator put the case on, which routing would not put Guo's unpaid wages on: its departments are told county", () => {
    expect(lanes(eventsForCorrection(router, request(guo), now)).decision).toBeNull();
    const events = eventsForCorrection(router, request(guo, onCounty), now);
    expect(lanes(events)).toEqual({
      decision: 'county',
      copies: [
        ['agency.350802107-judicial_office.assignment.v1', 'assigned', 'county'],
        ['agency.350802-labor_inspection.assignment.v1', 'assigned', 'county'],
      ],
    });
    const decision = events[0]!.data as DisputeAssignedV1;
    expect(decision.severity).toBe('normal');
    expect(decision.expressLane?.reason).toContain('escalated by hand');
    expect(decision.trace.rules.map((rule) => rule.id)).toContain('lane.kept');
  });

  it('a dispute routing itself judges city goes to the city, above the county lane the case was on', () => {
    const millions: DisputeReceivedV1 = {
      ...guo,
      amountClaimed: 6_800_000,
      content: '对方公司拖欠我们的工程款，多次催要不付。',
    };
    const events = eventsForCorrection(router, request(millions, onCounty), now);
    expect(lanes(events)).toEqual({
      decision: 'city',
      copies: [
        ['agency.350802-governance_center.assignment.v1', 'assigned', 'city'],
        ['agency.350802107-judicial_office.assignment.v1', 'assigned', 'city'],
        ['agency.350802107-governance_office.assignment.v1', 'assigned', 'city'],
        ['agency.350802-labor_inspection.assignment.v1', 'withdrawn', 'city'],
      ],
    });
    expect((events[0]!.data as DisputeAssignedV1).expressLane?.reason).toBe(
      'amounts this size go to the city secretary',
    );
  });

  it("a lane routing judges lower than the case's keeps the case's: township judged, county kept", () => {
    const crowd: DisputeReceivedV1 = {
      ...guo,
      location: { address: '龙岩市长汀县红山乡' },
      content: '包工头带我们二十多名工人修水渠，完工三个月了工钱一分没给。',
    };
    expect(lanes(eventsForCorrection(router, request(crowd), now)).decision).toBe('township');
    expect(
      lanes(eventsForCorrection(router, request(crowd, { ...onCounty, divisionCode: '350821' }), now))
        .decision,
    ).toBe('county');
  });

  it("corrected to another county, the kept lane follows the place: the new county's secretary, at the same level", () => {
    const moved = { ...guo, location: { divisionCode: '350803104' } };
    const decision = eventsForCorrection(router, request(moved, onCounty), now)[0]!.data as DisputeAssignedV1;
    expect(decision.jurisdiction.countyCode).toBe('350803');
    expect(decision.expressLane?.level).toBe('county');
    expect(decision.expressLane?.reason).toContain("350803's secretary, from 350802's");
  });
});
