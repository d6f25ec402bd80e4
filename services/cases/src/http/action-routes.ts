import { CategoryCode, DivisionCode, Level } from '@huijie/contracts/vocabulary.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actOnCase } from '../actions/act-on-case.ts';
import { correctCase, detachReport, mergeCases } from '../actions/reshape-case.ts';
import type { CasesDb } from '../db/prisma.ts';
import type { Command } from '../domain/lifecycle.ts';
import { RecordedOutcome } from '../domain/outcome.ts';
import { actorName, actorOf, operatorActorOf } from './actor.ts';
import { CaseId, caseIdParams } from './case-id.ts';
import { withdrawnRefusal } from './case-routes.ts';
import { idempotentRoute } from './idempotent-actions.ts';

const note = z.string().trim().min(1).max(2_000);
/**
 * The most bytes of an action's body. The longest one a client may send is an outcome: its
 * 2,000-character summary (a note's length) with every character escaped (\uXXXX, 6 bytes) is
 * under 12 KiB, the rest a few hundred bytes; a reason is 500 characters. 64 KiB leaves room for
 * that; the app's 1 MiB let any signed-in caller make each action parse some 80 times as much.
 */
const actionBodyLimit = 64 * 1024;
/** What a correction can change: one of them at least. */
const correctable = ['divisionCode', 'category'] as const;
const answer = z.object({
  caseId: z.uuid(),
  status: z.string(),
  expressLane: Level.nullable(),
  allowedActions: z.array(z.string()),
});

/** The actions on a case. Each answers the new state and what can be done next, or 409 with why not. */
export function actionRoutes(app: FastifyInstance, deps: { db: CasesDb; jwtSecret: string }) {
  const action = <B extends z.ZodType>(
    path: string,
    summary: string,
    body: B,
    toCommand: (body: z.infer<B>, by: string) => Command,
    /** An operators' action: what an agency cannot do, as its 403 says (act-on-case.ts `agencyActions`). */
    operatorsOnly?: string,
  ) =>
    idempotentRoute(
      app,
      {
        method: 'POST',
        url: `/v1/cases/:caseId/${path}`,
        summary,
        tags: ['case actions'],
        security: operatorsOnly ? 'operator' : 'operator-or-agency',
        authenticate: (request) =>
          operatorsOnly ? operatorActorOf(request, deps, operatorsOnly) : actorOf(request, deps),
        params: caseIdParams,
        body,
        bodyLimit: actionBodyLimit,
        responses: { 200: answer },
        ...(!operatorsOnly && { refusals: { 410: withdrawnRefusal } }),
      },
      async ({ params: { caseId }, body: input, actor }) => {
        const state = await actOnCase(deps.db, caseId, actor, toCommand(input, actorName(actor)));
        return {
          caseId,
          status: state.status,
          expressLane: state.expressLevel,
          allowedActions: state.allowedActions,
        };
      },
    );

  action('accept', 'The lead department accepts the case', z.object({}), (_, by) => ({ type: 'accept', by }));
  action(
    'progress',
    "Record mediation progress (the lead's first, or an operator's, starts mediation; a co-handler's is progress)",
    z.object({ note }),
    (b, by) => ({
      type: 'record_progress',
      by,
      note: b.note,
    }),
  );
  action(
    'outcome',
    'Record the outcome: mediated (summary, amount) → resolved; not mediated (summary, referredTo) or withdrawn → unresolved',
    // One rule for the lead agency's outcome and an operator's: RecordedOutcome (domain/outcome.ts).
    RecordedOutcome,
    (outcome, by) => ({ type: 'record_outcome', by, outcome }),
  );
  action(
    'escalate',
    'Escalate the case up the secretary express lane (书记直通车), by hand (operators)',
    z.object({ level: Level, reason: z.string().trim().min(1).max(500) }),
    (b, by) => ({ type: 'escalate', by, level: b.level, reason: 'manual', detail: b.reason }),
    'escalate',
  );
  action(
    'close',
    'Close an ended case (operators)',
    z.object({}),
    (_, by) => ({ type: 'close', by }),
    'close',
  );
  action('notes', 'Add a note to the case history', z.object({ note }), (b, by) => ({
    type: 'add_note',
    by,
    note: b.note,
  }));

  const reason = z.string().trim().min(1).max(500);
  idempotentRoute(
    app,
    {
      method: 'POST',
      url: '/v1/cases/:caseId/merge',
      summary: 'Merge this case into another one about the same matter (operators)',
      tags: ['case actions'],
      security: 'operator',
      // An agency's key is verified too, and refused (403) before the body is read.
      authenticate: (request) => operatorActorOf(request, deps, 'merge cases'),
      params: caseIdParams,
      body: z.object({ intoCaseId: CaseId, reason }),
      bodyLimit: actionBodyLimit,
      responses: { 200: z.object({ caseId: z.uuid(), mergedInto: z.uuid() }) },
    },
    async ({ params: { caseId }, body, actor }) => {
      await mergeCases(deps.db, caseId, body.intoCaseId, actor, body.reason);
      return { caseId, mergedInto: body.intoCaseId };
    },
  );
  idempotentRoute(
    app,
    {
      method: 'POST',
      url: '/v1/cases/:caseId/detach',
      summary:
        "Take a wrongly merged report out into a case of its own, in triage at its own report's place until routing decides on it (operators)",
      tags: ['case actions'],
      security: 'operator',
      authenticate: (request) => operatorActorOf(request, deps, 'detach a report'),
      params: caseIdParams,
      body: z.object({ disputeId: z.uuid(), reason }),
      bodyLimit: actionBodyLimit,
      responses: { 200: z.object({ caseId: z.uuid(), newCaseId: z.uuid() }) },
    },
    async ({ params: { caseId }, body, actor }) => ({
      caseId,
      newCaseId: await detachReport(deps.db, caseId, body.disputeId, actor, body.reason),
    }),
  );
  idempotentRoute(
    app,
    {
      method: 'POST',
      url: '/v1/cases/:caseId/correct',
      summary:
        'Correct the place (within your jurisdiction, 403 otherwise) or the category; routing decides again (operators)',
      tags: ['case actions'],
      security: 'operator',
      authenticate: (request) => operatorActorOf(request, deps, 'correct a case'),
      params: caseIdParams,
      body: z
        .object({ divisionCode: DivisionCode.optional(), category: CategoryCode.optional(), reason })
        .superRefine((b, context) => {
          if (b.divisionCode || b.category) return;
          // Each field that could have been given is named, so a form can point at them; a
          // problem with no field ('(body)') says nothing of what was expected.
          for (const field of correctable) {
            context.addIssue({
              code: 'custom',
              path: [field],
              message: `give what to correct: ${correctable.join(' or ')} (one at least)`,
            });
          }
        }),
      bodyLimit: actionBodyLimit,
      responses: { 202: z.object({ caseId: z.uuid(), status: z.literal('rerouting') }) },
    },
    async ({ params: { caseId }, body, actor, reply }) => {
      await correctCase(deps.db, caseId, actor, body);
      return reply.status(202).send({ caseId, status: 'rerouting' });
    },
  );
}
