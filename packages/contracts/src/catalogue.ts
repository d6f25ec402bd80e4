import type { z } from 'zod';
import { AgencyAssignmentV1 } from './events/agency-assignment-v1.ts';
import { AgencyStatusV1 } from './events/agency-status-v1.ts';
import { CaseCorrectedV1 } from './events/case-correction-v1.ts';
import { CaseEscalatedV1 } from './events/case-escalation-v1.ts';
import { CaseStatusChangedV1 } from './events/case-status-v1.ts';
import { CourtOutcomeV1 } from './events/court-outcome-v1.ts';
import { DisputeAssignedV1 } from './events/dispute-assignment-v1.ts';
import { DisputeReceivedV1 } from './events/dispute-intake-v1.ts';
import { OperatorAccessV1 } from './events/operator-access-v1.ts';
import { storable } from './storable-text.ts';

/**
 * Every event the platform publishes: name → CloudEvents type, schema, and what it means. Each
 * schema refuses text PostgreSQL cannot store (storable-text.ts): the bus refuses to publish it,
 * and a consumer dead-letters it at once rather than retry a write that can never succeed.
 * The name is also the topic it travels on (agency topics carry `dispute.assignment.v1` too).
 */
export const catalogue = {
  'dispute.intake.v1': {
    type: 'cn.huijie.dispute.intake.v1',
    schema: storable(DisputeReceivedV1),
    summary: 'A dispute received from one channel (12345 hotline, WeChat, court), normalised.',
  },
  'dispute.assignment.v1': {
    type: 'cn.huijie.dispute.assignment.v1',
    schema: storable(DisputeAssignedV1),
    summary: 'A routing decision: where the dispute belongs, who leads, who co-handles, SLA, and why.',
  },
  'agency.assignment.v1': {
    type: 'cn.huijie.agency.assignment.v1',
    schema: storable(AgencyAssignmentV1),
    summary:
      "One agency's view of an assignment (or its withdrawal), on the agency's own topic agency.<code>.assignment.v1.",
  },
  'agency.status.v1': {
    type: 'cn.huijie.agency.status.v1',
    schema: storable(AgencyStatusV1),
    summary:
      "What happens to a matter one agency holds (it ended, its deadline is near or past), on the agency's own topic agency.<code>.status.v1.",
  },
  'case.status.v1': {
    type: 'cn.huijie.case.status.v1',
    schema: storable(CaseStatusChangedV1),
    summary: 'A case changed status; when it ends, with its outcome.',
  },
  'case.escalation.v1': {
    type: 'cn.huijie.case.escalation.v1',
    schema: storable(CaseEscalatedV1),
    summary: 'A case entered or moved up the secretary express lane (书记直通车).',
  },
  'court.outcome.v1': {
    type: 'cn.huijie.court.outcome.v1',
    schema: storable(CourtOutcomeV1),
    summary: "A referral's mediation outcome, on the referring court's own topic court.<court>.outcome.v1.",
  },
  'case.correction.v1': {
    type: 'cn.huijie.case.correction.v1',
    schema: storable(CaseCorrectedV1),
    summary: "An operator corrected a case's place or category; routing decides again.",
  },
  'operator.access.v1': {
    type: 'cn.huijie.operator.access.v1',
    schema: storable(OperatorAccessV1),
    summary:
      "An operator's account as it is now (active, disabled or removed; role, scope, the time its tokens count from), keyed by username: every service that takes operators' tokens refuses them by it.",
  },
} as const;

export type EventName = keyof typeof catalogue;
export type EventOf<N extends EventName> = z.infer<(typeof catalogue)[N]['schema']>;
export const eventNames = Object.keys(catalogue) as EventName[];

const byType = new Map<string, EventName>(eventNames.map((name) => [catalogue[name].type, name]));

/** The catalogue entry for a CloudEvents `ce_type`, or undefined for a type this version does not know. */
export function eventNameOfType(type: string): EventName | undefined {
  return byType.get(type);
}

/**
 * The event's data as its contract takes it, or why the contract refuses it: each field and what it
 * must be (`content: must not contain the NUL character; …`), never the value found there.
 */
export function checkEvent<N extends EventName>(
  name: N,
  data: unknown,
): { ok: true; data: EventOf<N> } | { ok: false; reason: string } {
  const parsed = catalogue[name].schema.safeParse(data);
  if (parsed.success) return { ok: true, data: parsed.data as EventOf<N> };
  const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
  return { ok: false, reason: issues.join('; ') };
}
