import type { EventName, EventOf } from './catalogue.ts';

/**
 * Example messages published in the AsyncAPI document, from Guo's story (MISSION.md): his WeChat
 * application about 19 days of unpaid wages on a reservoir dam in 江山镇 goes to the town's
 * judicial office at once and ends with the boss paying 3,800 yuan; and an operator who left,
 * disabled. The names and phone number are placeholders, never a real person's.
 */
const guo = {
  disputeId: '45195ddf-1481-5887-8cdc-f12dc900da69',
  caseId: '5b0d7c9e-3f4a-4b8e-9c1d-2e6f7a8b9c0d',
  judicialOffice: { code: '350802107-judicial_office', name: '江山镇司法所' },
  labourInspection: { code: '350802-labor_inspection', name: '新罗区劳动保障监察大队' },
};

type Example<N extends EventName> = { name: string; summary: string; payload: EventOf<N> };

export const examples: { [N in EventName]?: Example<N>[] } = {
  'agency.assignment.v1': [
    {
      name: 'guo-unpaid-wages-lead',
      summary:
        "Guo's unpaid wages, as the lead department (江山镇司法所) receives it, with the citizen's contact",
      payload: {
        disputeId: guo.disputeId,
        version: 1,
        action: 'assigned',
        department: { ...guo.judicialOffice, kind: 'judicial_office', divisionCode: '350802107' },
        role: 'lead',
        partners: [{ ...guo.labourInspection, role: 'co' }],
        category: 'labor',
        severity: 'normal',
        place: { divisionCode: '350802107', names: ['龙岩市', '新罗区', '江山镇'] },
        dueAt: '2024-08-31T01:30:05.000Z',
        expressLane: null,
        channel: 'wechat',
        receivedAt: '2024-08-24T01:30:00.000Z',
        title: '拖欠工资',
        content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
        contact: { name: '郭某', phone: '13800000000' },
      },
    },
  ],
  'agency.status.v1': [
    {
      name: 'guo-unpaid-wages-ended',
      summary: "Guo's case ends mediated, as the lead department (江山镇司法所) is told it",
      payload: {
        kind: 'ended',
        disputeId: guo.disputeId,
        version: 1,
        caseId: guo.caseId,
        department: { ...guo.judicialOffice, kind: 'judicial_office', divisionCode: '350802107' },
        role: 'lead',
        occurredAt: '2024-08-26T08:00:00.000Z',
        ended: {
          disputeIds: [guo.disputeId],
          status: 'resolved',
          outcome: { kind: 'mediated', summary: '包工头同意支付全部工资', amount: 3800 },
          result: '调解成功，涉及金额3800元',
        },
      },
    },
    {
      name: 'guo-unpaid-wages-due-soon',
      summary: "The lead's deadline on Guo's case is a day away",
      payload: {
        kind: 'reminder',
        disputeId: guo.disputeId,
        version: 1,
        caseId: guo.caseId,
        department: { ...guo.judicialOffice, kind: 'judicial_office', divisionCode: '350802107' },
        role: 'lead',
        occurredAt: '2024-08-30T01:30:05.000Z',
        reminder: { level: 'due_soon', dueAt: '2024-08-31T01:30:05.000Z' },
      },
    },
  ],
  'case.status.v1': [
    {
      name: 'guo-unpaid-wages-resolved',
      summary: "Guo's case ends mediated: the boss agrees to pay the 3,800 yuan",
      payload: {
        caseId: guo.caseId,
        disputeIds: [guo.disputeId],
        status: 'resolved',
        previousStatus: 'mediating',
        occurredAt: '2024-08-26T08:00:00.000Z',
        category: 'labor',
        divisionCode: '350802107',
        outcome: { kind: 'mediated', summary: '包工头同意支付全部工资', amount: 3800 },
        reports: [{ disputeId: guo.disputeId, channel: 'wechat', sourceRef: 'WX7K2M9Q4T8P3R' }],
      },
    },
  ],
  'operator.access.v1': [
    {
      name: 'leaver-disabled',
      summary:
        "新罗区's operator who left is disabled at 9:00: from then on no service takes a token of theirs",
      payload: {
        username: 'xinluo-chen',
        status: 'disabled',
        role: 'operator',
        scope: '350802',
        tokensValidFrom: '2024-09-02T01:00:00.000Z',
        occurredAt: '2024-09-02T01:00:00.000Z',
      },
    },
  ],
};
