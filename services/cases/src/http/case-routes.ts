import { agencyText, mobilesFor } from '@huijie/contracts/agency-copies.ts';
import { CaseOutcome } from '@huijie/contracts/events/case-status-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { notFound } from '@huijie/service-kit/errors.ts';
import { route, strictQuery } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actionsFor, stateOf, visibleCase, withdrawalOf } from '../actions/act-on-case.ts';
import type { CasesDb } from '../db/prisma.ts';
import { isConfidentialRow } from '../domain/confidential-parties.ts';
import { courtFactsOf } from '../domain/court-facts.ts';
import { hotlineFactsOf } from '../domain/hotline-facts.ts';
import { firstReportOf } from '../outbox/agency-copies.ts';
import { confidentialNamesOf, isOverdue } from '../search/search-cases.ts';
import { actorOf } from './actor.ts';
import { assertInScope } from './auth.ts';
import { caseIdParams } from './case-id.ts';

const at = z.iso.datetime();

/** `GET /v1/cases/:caseId`, as the API document describes it. */
const CaseRead = z.object({
  caseId: z.uuid(),
  status: z.string(),
  category: z.string().nullable(),
  severity: z.string(),
  channel: z.string(),
  title: z.string().nullable(),
  jurisdiction: z.object({
    cityCode: z.string().nullable(),
    countyCode: z.string().nullable(),
    townCode: z.string().nullable(),
    villageCode: z.string().nullable(),
    names: z.array(z.string()),
    resolution: z.string().nullable(),
  }),
  expressLane: z.string().nullable(),
  repeatCount: z.number().int(),
  outcome: CaseOutcome.nullable(),
  mergedInto: z.uuid().nullable(),
  allowedActions: z
    .array(z.string())
    .describe(
      "What the caller may do now, each `POST /v1/cases/{caseId}/<path>`: accept → accept, record_progress → progress, record_outcome → outcome, escalate, close, add_note → notes, and an operator's correct, merge, detach",
    ),
  triage: z.string().nullable(),
  routingVersion: z.number().int(),
  dueAt: at.nullable(),
  overdue: z.boolean().describe('Past its due time and not ended, as the list says'),
  createdAt: at,
  updatedAt: at,
  escalatedAt: at.nullable().describe('When it entered the express lane'),
  resolvedAt: at.nullable().describe('When its outcome was recorded'),
  closedAt: at.nullable(),
  reports: z.array(
    z.object({
      disputeId: z.uuid(),
      channel: z.string(),
      sourceRef: z.string(),
      revision: z.number().int(),
      receivedAt: at,
      content: z.string(),
      court: z
        .object({
          caseNumber: z.string().describe("The court's case number (案号), as the report's `sourceRef`."),
          courtCode: z.string().describe("The court's code as case numbers write it, e.g. 闽0802."),
          courtName: z.string().describe("The court's name, e.g. 龙岩市新罗区人民法院."),
          caseType: z.string().describe("The case number's type code (类型代字), e.g. 民诉前调."),
          referralDate: z.iso.date().describe('The day the court referred the dispute (YYYY-MM-DD).'),
          mediationDeadline: at
            .nullable()
            .describe(
              "The court's mediation deadline (委派调解期限) as its latest revision sets it; null when it set none. The case is answered by then (`dueAt`).",
            ),
          claimAmount: z
            .number()
            .nullable()
            .describe('The sum claimed (标的额), in yuan; null when the court stated none.'),
        })
        .nullable()
        .describe(
          "What the referring court says of a court referral, as its latest revision does; null for a report from another channel. Shown to the case's agencies too: the court's dates and the sum claimed are no personal data, and the lead mediates to the court's deadline. What a court's revision changed is in the history (`report_updated`, `changed: ['court.mediationDeadline', …]`).",
        ),
      hotline: z
        .object({
          orderNo: z
            .string()
            .describe("The hotline's work-order number (工单编号), as the report's `sourceRef`."),
          urgency: z
            .enum(['normal', 'urgent', 'very_urgent'])
            .nullable()
            .describe(
              '紧急程度 as the hotline rates the order (一般, 紧急, 特急); null when it said nothing.',
            ),
          requestType: z
            .string()
            .nullable()
            .describe(
              '诉求类型: consultation, help, complaint, report, suggestion, other; null when not given.',
            ),
          intakeChannel: z
            .string()
            .nullable()
            .describe(
              '受理渠道: how the hotline took it (phone, web, wechat, app, sms, …); null when not given.',
            ),
          dueAt: at.nullable().describe("The hotline's time limit (办理时限); null when it set none."),
          reminders: z
            .number()
            .int()
            .describe('How often the caller has pressed (催办) so far; 0 when never.'),
        })
        .nullable()
        .describe(
          "What the 12345 hotline says of its work order, as its latest revision does; null for a report from another channel. Shown to the case's agencies too: no personal data.",
        ),
    }),
  ),
  parties: z.array(
    z.object({
      role: z.string(),
      kind: z.string(),
      name: z.string().nullable().describe('null to an agency when the party asked for confidentiality'),
      phone: z
        .string()
        .nullable()
        .describe('null to an agency but the lead, and to the lead too for a confidential party'),
      confidential: z
        .literal(true)
        .optional()
        .describe(
          'Operators only: the party asked for confidentiality (12345 保密). Name and phone are shown to the operator; do not pass them on, and say nothing of who reported when phoning the other side.',
        ),
    }),
  ),
  assignments: z.array(
    z.object({
      departmentCode: z.string(),
      departmentKind: z.string(),
      departmentName: z.string(),
      divisionCode: z.string(),
      role: z.string(),
      status: z.string(),
      routingVersion: z.number().int(),
      dueAt: at,
    }),
  ),
  history: z.array(
    z.object({
      at,
      type: z.string(),
      actor: z.string(),
      detail: z
        .unknown()
        .describe(
          "What happened, by type. `report_updated` (a new revision of a report): `changed` names what it changed — `title`, `content`, `location`, `parties`, `dueAt` (the hotline's time limit), and a court's `court.referralDate`, `court.mediationDeadline`, `court.claimAmount` (…, as in `reports[].court`) — and, to operators only, `previous` the former values (`previous.court.mediationDeadline`…); the new ones are the report's as it reads now. `reminder` (a new 催办 of a 12345 work order, recorded once: its reminder went beyond the furthest the report had reached): `reminders` the count, `lastAt` when the hotline gave it, `note` the hotline's note on it. To an agency, the text (notes, progress, reasons, the outcome's summary) is masked as the reports' content is.",
        ),
    }),
  ),
});

/**
 * The 410 a department withdrawn from a case gets where one that never held it gets a 404
 * (`withdrawalOf`, actions/act-on-case.ts), as the API document describes it.
 */
export const withdrawnRefusal = {
  description:
    "`withdrawn` (agencies): your department held this case and no longer does — a re-routing (an operator's correction, a new revision or a graver report of the matter) left it out, as the `withdrawal` webhook and the `withdrawn` copy on your topic say; stop work on it. Nothing of the case as it is now is given. A department that never held the case gets `404 not_found`, as for an unknown id; so does a withdrawn one asking by any dispute of the case but its first report (the one its copies named): another may have joined the case after it left.",
  details: z.object({
    reason: z.enum(['re-routed']).describe("Why, in the `withdrawal` webhook's words."),
    withdrawnAt: at.describe('When your department was withdrawn.'),
  }),
};

export function caseRoutes(app: FastifyInstance, deps: { db: CasesDb; jwtSecret: string; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  route(
    app,
    {
      method: 'GET',
      url: '/v1/disputes/:disputeId',
      summary:
        'Which case a dispute (one report from one channel) belongs to: operators in their jurisdiction; an agency for the disputes its assignments (webhook, Kafka copy) name',
      tags: ['cases'],
      security: 'operator-or-agency',
      authenticate: (request) => actorOf(request, deps),
      params: z.object({ disputeId: z.uuid() }),
      responses: { 200: z.object({ disputeId: z.uuid(), caseId: z.uuid() }) },
      refusals: { 410: withdrawnRefusal },
    },
    async ({ params: { disputeId }, actor }) => {
      const report = await deps.db.report.findUnique({
        where: { disputeId },
        select: { caseId: true, case: { select: { cityCode: true, countyCode: true, townCode: true } } },
      });
      if (!report) throw notFound('dispute');
      // Dispute ids are derived from public references (an order number): another county's must
      // answer exactly like an unknown one, or the answer tells which orders exist. An agency's
      // assignments name the dispute, its actions the case: it may ask for the cases it holds.
      if (actor.kind === 'operator') assertInScope(actor.claims, report.case, 'dispute');
      else {
        const held = await deps.db.assignment.findUnique({
          where: { caseId_departmentCode: { caseId: report.caseId, departmentCode: actor.departmentCode } },
          select: { departmentCode: true, status: true, updatedAt: true },
        });
        if (!held) throw notFound('dispute');
        // Withdrawn from the case: told so (410), as a read of the case tells it, for the dispute
        // its copies were about (the case's first report) only. Any other report of the case may
        // have joined it after: a 410 would tell, to ids computed from order numbers, which later
        // reports and merged cases are now part of the matter it lost.
        const withdrawn = withdrawalOf([held], actor.departmentCode);
        if (withdrawn) {
          if ((await firstReportOf(deps.db, report.caseId)).disputeId === disputeId) throw withdrawn;
          throw notFound('dispute');
        }
      }
      return { disputeId, caseId: report.caseId };
    },
  );

  route(
    app,
    {
      method: 'GET',
      url: '/v1/cases/:caseId',
      summary: 'One case: its place, category, reports, parties, assignments, outcome and history',
      tags: ['cases'],
      security: 'operator-or-agency',
      authenticate: (request) => actorOf(request, deps),
      params: caseIdParams,
      query: strictQuery({
        text: z
          .enum(['masked'])
          .optional()
          .describe(
            "`masked`: the case as an agency that is not its lead reads it (`[身份证号]`, `[手机号]`, `[保密当事人]` in the title, reports, outcome and history; no party's phone, no confidential party's name; no former words), for a screen others see (the overview's panel). An agency's is masked always.",
          ),
      }),
      responses: { 200: CaseRead },
      refusals: { 410: withdrawnRefusal },
    },
    async ({ params: { caseId }, query, actor }) => {
      await visibleCase(deps.db, caseId, actor, { merged: 'read' });
      const found = await deps.db.case.findUnique({
        where: { id: caseId },
        include: {
          reports: { orderBy: { receivedAt: 'asc' } },
          parties: true,
          assignments: { orderBy: [{ role: 'desc' }, { departmentCode: 'asc' }] },
          history: { orderBy: { id: 'asc' } },
        },
      });
      const c = found!;
      const state = stateOf({ ...c, reports: [] });
      // An agency always; an operator who asks (a screen others see), as an agency that is not the lead.
      const masked = actor.kind === 'agency' || query.text === 'masked';
      // An agency sees the parties as routing's copies tell it of them: only the lead calls the
      // citizen back, so only the lead gets phone numbers; and no agency learns who a party is
      // who asked for confidentiality (12345 保密), which the report's intake records
      // (domain/confidential-parties.ts).
      const lead =
        actor.kind === 'agency' &&
        c.assignments.some(
          (a) => a.departmentCode === actor.departmentCode && a.role === 'lead' && a.status !== 'withdrawn',
        );
      const intakeOf = (report: (typeof c.reports)[number]) => report.intake as unknown as DisputeReceivedV1;
      const given = c.reports.map((report) => ({
        disputeId: report.disputeId,
        parties: intakeOf(report).parties,
      }));
      const confidential = (party: (typeof c.parties)[number]) => isConfidentialRow(party, given);
      // The title, the reports' text and the words people wrote into the case (its history, the
      // outcome's summary) as the agency's copies quote them (contracts/agency-copies.ts):
      // no ID-card number and no confidential party's name, and the mobiles an operator typed in
      // only for a lead of a case where nobody asked for confidentiality.
      const mobiles = mobilesFor(
        lead ? 'lead' : null,
        given.flatMap((report) => report.parties),
      );
      // The names are also those of the reports that left the case (merged on, detached), whose
      // title it keeps: the same rule and query as the agency's list (search/search-cases.ts).
      const names = masked ? ((await confidentialNamesOf(deps.db, [c.id])).get(c.id) ?? []) : [];
      const shown = (text: string) => (masked ? agencyText(text, mobiles, names) : text);
      return {
        caseId: c.id,
        status: c.status,
        category: c.category,
        severity: c.severity,
        channel: c.channel,
        title: c.title === null ? null : shown(c.title),
        jurisdiction: {
          cityCode: c.cityCode,
          countyCode: c.countyCode,
          townCode: c.townCode,
          villageCode: c.villageCode,
          names: c.placeNames,
          resolution: c.placeHow,
        },
        expressLane: c.expressLevel,
        repeatCount: c.repeatCount,
        outcome: state.outcome?.summary
          ? { ...state.outcome, summary: shown(state.outcome.summary) }
          : state.outcome,
        mergedInto: c.mergedIntoId,
        allowedActions: c.mergedIntoId ? [] : actionsFor(actor, state, c.assignments, c.reports.length),
        triage: c.triageCode,
        routingVersion: c.routingVersion,
        dueAt: c.dueAt,
        overdue: isOverdue({ due_at: c.dueAt, status: c.status }, now()),
        createdAt: c.createdAt,
        updatedAt: c.updatedAt,
        escalatedAt: c.escalatedAt,
        resolvedAt: c.resolvedAt,
        closedAt: c.closedAt,
        reports: c.reports.map((report) => ({
          disputeId: report.disputeId,
          channel: report.channel,
          sourceRef: report.sourceRef,
          revision: report.revision,
          receivedAt: report.receivedAt,
          content: shown(report.content),
          court: courtFactsOf(intakeOf(report)),
          hotline: hotlineFactsOf(intakeOf(report)),
        })),
        parties: c.parties.map((party) => {
          const secret = confidential(party);
          const hidden = masked && secret;
          return {
            role: party.role,
            kind: party.kind,
            name: hidden ? null : party.name,
            phone: hidden || (masked && !lead) ? null : party.phone,
            // An operator sees the name and phone, to call the caller back: told the caller asked
            // for confidentiality, they neither forward them nor name the caller to the other side.
            ...(!masked && secret && { confidential: true as const }),
          };
        }),
        assignments: c.assignments.map((assignment) => ({
          departmentCode: assignment.departmentCode,
          departmentKind: assignment.departmentKind,
          departmentName: assignment.departmentName,
          divisionCode: assignment.divisionCode,
          role: assignment.role,
          status: assignment.status,
          routingVersion: assignment.routingVersion,
          dueAt: assignment.dueAt,
        })),
        history: c.history.map((entry) => ({
          at: entry.at,
          type: entry.type,
          actor: entry.actor,
          // Every string, as the title is: the words an actor typed (notes, progress, reasons, the
          // outcome's summary) and what routing quotes of the report; ids, codes and dates hold
          // nothing the rule masks.
          detail: masked ? stringsOf(withoutFormerWords(entry.detail), shown) : entry.detail,
        })),
      };
    },
  );
}

/**
 * A report's former words and place (`previous` of a report_updated entry, consumers/open-case.ts)
 * are for operators: an agency reads the report as it reads now, masked, as it did before the
 * former revisions were kept.
 */
function withoutFormerWords(detail: unknown): unknown {
  if (detail === null || typeof detail !== 'object' || !('previous' in detail)) return detail;
  const { previous: _previous, ...rest } = detail;
  return rest;
}

/** `value` (JSON) with each of its strings, at any depth, as `map` gives it. */
function stringsOf(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => stringsOf(item, map));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stringsOf(item, map)]));
}
