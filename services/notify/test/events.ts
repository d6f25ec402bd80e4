import { randomUUID } from 'node:crypto';
import type { CaseEscalatedV1 } from '@huijie/contracts/events/case-escalation-v1.ts';
import type { CaseStatusChangedV1 } from '@huijie/contracts/events/case-status-v1.ts';
import type { Department, DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';

/** Departments of Yang's case (永定区 / 下洋镇), with codes unique to one test. */
export function departments(tag: string) {
  const department = (code: string, kind: Department['kind'], name: string, divisionCode: string) => ({
    code: `${code}-${tag}`,
    kind,
    name,
    divisionCode,
  });
  return {
    police: department('350803-psb', 'public_security_bureau', '永定区公安局', '350803'),
    court: department('350803-court', 'court', '永定区人民法院', '350803'),
    judicial: department('350803105-sfs', 'judicial_office', '下洋镇司法所', '350803105'),
    station: department('350803105-pcs', 'police_station', '下洋派出所', '350803105'),
    governance: department('350803105-zzb', 'governance_center', '下洋镇综治办', '350803105'),
  } satisfies Record<string, Department>;
}

/** A phone number of its own for each dispute, so per-recipient throttles never meet across tests. */
export const randomPhone = () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

export function dispute(overrides: Partial<DisputeReceivedV1> = {}): DisputeReceivedV1 {
  return {
    disputeId: randomUUID(),
    channel: 'hotline_12345',
    sourceRef: `GD${Date.now()}${Math.floor(Math.random() * 1000)}`,
    revision: 1,
    receivedAt: '2024-08-24T09:30:00+08:00',
    title: '民事赔偿纠纷',
    content: '杨某起诉胡某要求赔偿，胡某拒不履行，多次反映。',
    location: { address: '福建省龙岩市永定区下洋镇' },
    parties: [{ role: 'caller', kind: 'person', name: '杨某', phone: randomPhone() }],
    attachments: [],
    ...overrides,
  };
}

/** A pre-litigation referral by the 永定 court's client `yd-court`. */
export function courtReferral(overrides: Partial<DisputeReceivedV1> = {}): DisputeReceivedV1 {
  return dispute({
    channel: 'court',
    sourceRef: `（2024）闽0803民诉前调${Math.floor(Math.random() * 100_000)}号`,
    court: {
      courtCode: '闽0803',
      courtName: '永定区人民法院',
      caseType: '民诉前调',
      referralDate: '2024-08-20',
      referredBy: 'yd-court',
    },
    ...overrides,
  });
}

export function assignment(
  received: DisputeReceivedV1,
  options: { version?: number; lead: Department | null; coHandlers?: Department[]; dueAt?: string },
): DisputeAssignedV1 {
  return {
    disputeId: received.disputeId,
    version: options.version ?? 1,
    decidedAt: new Date().toISOString(),
    jurisdiction: {
      cityCode: '350800',
      countyCode: '350803',
      townCode: '350803105',
      names: ['龙岩市', '永定区', '下洋镇'],
      resolution: 'exact',
    },
    category: 'damages',
    severity: 'major',
    lead: options.lead,
    coHandlers: options.coHandlers ?? [],
    dueAt: options.dueAt ?? new Date(Date.now() + 10 * 24 * 3600_000).toISOString(),
    expressLane: null,
    triage: null,
    trace: {
      rulesVersion: 'test',
      rules: [],
      place: { how: 'exact', evidence: 'address', candidates: [] },
      category: { source: 'text', confidence: 0.9 },
    },
    dispute: received,
  };
}

export function outcomeEvent(
  caseId: string,
  reports: DisputeReceivedV1[],
  overrides: Partial<CaseStatusChangedV1> = {},
): CaseStatusChangedV1 {
  return {
    caseId,
    disputeIds: reports.map((report) => report.disputeId),
    status: 'resolved',
    previousStatus: 'mediating',
    occurredAt: '2024-09-02T16:00:00+08:00',
    category: 'damages',
    divisionCode: '350803105',
    outcome: { kind: 'mediated', summary: '双方达成赔偿协议，当场履行', amount: 3800 },
    reports: reports.map((report) => ({
      disputeId: report.disputeId,
      channel: report.channel,
      sourceRef: report.sourceRef,
      ...(report.sourceClient && { client: report.sourceClient }),
    })),
    ...overrides,
  };
}

/** A status change without an outcome (and without the reports, as cases published it before). */
export function statusEvent(
  caseId: string,
  reports: DisputeReceivedV1[],
  status: CaseStatusChangedV1['status'],
): CaseStatusChangedV1 {
  return {
    caseId,
    disputeIds: reports.map((report) => report.disputeId),
    status,
    previousStatus: null,
    occurredAt: new Date().toISOString(),
    category: 'damages',
    divisionCode: '350803105',
  };
}

export function escalation(caseId: string, overrides: Partial<CaseEscalatedV1> = {}): CaseEscalatedV1 {
  return {
    caseId,
    level: 'county',
    previousLevel: 'township',
    reason: 'overdue',
    occurredAt: new Date().toISOString(),
    divisionCode: '350803',
    category: 'damages',
    dueAt: null,
    ...overrides,
  };
}
