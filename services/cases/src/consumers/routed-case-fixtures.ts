import { randomUUID } from 'node:crypto';
import type { DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import type { CategoryCode } from '@huijie/contracts/vocabulary.ts';
import type { CasesDb } from '../db/prisma.ts';
import { caseIdFor } from './open-case.ts';
import { recordAssignment, recordIntake } from './record-events.ts';

/** Towns the API tests file cases in: one in 新罗区, one in 永定区. */
export const towns = {
  jiangshan: { county: '350802', town: '350802107', names: ['龙岩市', '新罗区', '江山镇'] },
  xiayang: { county: '350803', town: '350803104', names: ['龙岩市', '永定区', '下洋镇'] },
} as const;

export type Town = { county: string; town: string; names: readonly string[] };

/** Departments of 江山镇 and 新罗区 the API tests give keys to and name as co-handlers. */
export const departments = {
  /** 江山镇司法所: it leads the cases `decisionFor` routes to 江山镇. */
  judicialOffice: {
    code: '350802107-judicial_office',
    kind: 'judicial_office',
    name: '江山镇司法所',
    divisionCode: '350802107',
  },
  policeStation: {
    code: '350802107-police_station',
    kind: 'police_station',
    name: '江山派出所',
    divisionCode: '350802107',
  },
  governanceOffice: {
    code: '350802107-governance_office',
    kind: 'governance_office',
    name: '江山镇综治办',
    divisionCode: '350802107',
  },
  labourInspection: {
    code: '350802-labor_inspection',
    kind: 'labor_inspection',
    name: '新罗区劳动保障监察大队',
    divisionCode: '350802',
  },
} as const;

/**
 * Routing's decision for `dispute`: the town's judicial office leads (with `coHandlers`, if any),
 * at `version` (1: its first routing; a correction asks for the next).
 */
export function decisionFor(
  dispute: DisputeReceivedV1,
  options: {
    place?: Town;
    version?: number;
    category?: CategoryCode;
    coHandlers?: DisputeAssignedV1['coHandlers'];
  } = {},
): DisputeAssignedV1 {
  const place = options.place ?? towns.jiangshan;
  return {
    disputeId: dispute.disputeId,
    version: options.version ?? 1,
    decidedAt: new Date().toISOString(),
    jurisdiction: {
      cityCode: '350800',
      countyCode: place.county,
      townCode: place.town,
      names: [...place.names],
      resolution: 'exact',
    },
    category: options.category ?? 'labor',
    severity: 'normal',
    lead: {
      code: `${place.town}-judicial_office`,
      kind: 'judicial_office',
      name: `${place.names[2]}司法所`,
      divisionCode: place.town,
    },
    coHandlers: options.coHandlers ?? [],
    dueAt: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString(),
    expressLane: null,
    triage: null,
    trace: {
      rulesVersion: 'test',
      rules: [],
      place: { how: 'exact', evidence: 'code', candidates: [] },
      category: { source: 'text', confidence: 1 },
    },
    dispute,
  };
}

/**
 * A WeChat application (or a 12345 work order, `hotline`) filed and routed to the town's judicial office, through the cases
 * service's own consumers (intake, then assignment), for the integration tests of its API.
 */
export async function seedRoutedCase(
  db: CasesDb,
  options: {
    place?: Town;
    applicant?: { name: string; phone: string; confidential?: boolean };
    title?: string;
    content?: string;
    receivedAt?: string;
    coHandlers?: DisputeAssignedV1['coHandlers'];
    /** The category the channel gave (the intake's), which routing decides too; labor otherwise. */
    category?: CategoryCode;
    /**
     * A 12345 work order instead of a WeChat application, with the hotline's own block and its time
     * limit when given: its caller's phone makes a later report of the same caller a repeat, which
     * the phone typed into a WeChat application does not.
     */
    hotline?: { block?: NonNullable<DisputeReceivedV1['hotline']>; dueAt?: string };
  } = {},
): Promise<{ caseId: string; disputeId: string }> {
  const place = options.place ?? towns.jiangshan;
  const dispute: DisputeReceivedV1 = {
    disputeId: randomUUID(),
    ...(options.hotline
      ? {
          channel: 'hotline_12345' as const,
          sourceRef: `GD-${randomUUID().slice(0, 8)}`,
          ...(options.hotline.block && { hotline: options.hotline.block }),
          ...(options.hotline.dueAt !== undefined && { dueAt: options.hotline.dueAt }),
        }
      : { channel: 'wechat' as const, sourceRef: `WX-${randomUUID()}` }),
    revision: 1,
    receivedAt: options.receivedAt ?? new Date().toISOString(),
    ...(options.title !== undefined && { title: options.title }),
    ...(options.category !== undefined && { category: options.category }),
    content: options.content ?? `${place.names[2]}水库大坝的工钱一直没有结清`,
    location: { divisionCode: place.town },
    parties: [
      {
        role: 'applicant',
        kind: 'person',
        ...(options.applicant ?? { name: '郭某', phone: `138${Math.floor(Math.random() * 1e8)}` }),
      },
    ],
    attachments: [],
  };
  await recordIntake(db, dispute);
  await recordAssignment(
    db,
    decisionFor(dispute, {
      place,
      ...(options.coHandlers && { coHandlers: options.coHandlers }),
      ...(options.category && { category: options.category }),
    }),
  );
  return { caseId: caseIdFor(dispute.disputeId), disputeId: dispute.disputeId };
}
