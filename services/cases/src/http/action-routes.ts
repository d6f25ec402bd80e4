import { CaseOutcome } from '@huijie/contracts/events/case-status-v1.ts';
import { Level } from '@huijie/contracts/vocabulary.ts';
import { route } from '@huijie/service-kit/routes.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actOnCase } from '../actions/act-on-case.ts';
import type { CasesDb } from '../db/prisma.ts';
import { allowedActions, type Command } from '../domain/lifecycle.ts';
import { actorName, actorOf } from './actor.ts';

const params = z.object({ caseId: z.uuid() });
const note = z.string().trim().min(1).max(2_000);
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
  ) =>
    route(
      app,
      {
        method: 'POST',
        url: `/v1/cases/:caseId/${path}`,
        summary,
        tags: ['case actions'],
        security: 'operator-or-agency',
        params,
        body,
        responses: { 200: answer },
      },
      async ({ params: { caseId }, body: input, request }) => {
        const actor = await actorOf(request, deps);
        const state = await actOnCase(deps.db, caseId, actor, toCommand(input, actorName(actor)));
        return {
          caseId,
          status: state.status,
          expressLane: state.expressLevel,
          allowedActions: allowedActions(state),
        };
      },
    );

  action('accept', 'The lead department accepts the case', z.object({}), (_, by) => ({ type: 'accept', by }));
  action(
    'progress',
    'Record mediation progress (the first one starts mediation)',
    z.object({ note }),
    (b, by) => ({
      type: 'record_progress',
      by,
      note: b.note,
    }),
  );
  action(
    'outcome',
    'Record the outcome: mediated (agreement, amount) → resolved; not mediated or withdrawn → unresolved',
    CaseOutcome,
    (outcome, by) => ({ type: 'record_outcome', by, outcome }),
  );
  action(
    'escalate',
    'Escalate the case up the secretary express lane (书记直通车), by hand',
    z.object({ level: Level, reason: z.string().trim().min(1).max(500) }),
    (b, by) => ({ type: 'escalate', by, level: b.level, reason: 'manual', detail: b.reason }),
  );
  action('close', 'Close an ended case', z.object({}), (_, by) => ({ type: 'close', by }));
  action('notes', 'Add a note to the case history', z.object({ note }), (b, by) => ({
    type: 'add_note',
    by,
    note: b.note,
  }));
}
