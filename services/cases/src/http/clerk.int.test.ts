import { signToken } from '@huijie/service-kit/auth-token.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAssignment } from '../consumers/record-events.ts';
import { decisionFor, departments, seedRoutedCase, towns } from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { casesAppOnKafka, issueAgencyKey } from './api-fixtures.ts';

const servers = await requireServers('postgres', 'kafka');

/** A clerk of 江山镇司法所 working their day through the API with the office's key. */
const clerk = { 'x-api-key': 'key-jiangshan-clerk' };
/** The labour inspection brigade, co-handling some of the same cases. */
const brigade = { 'x-api-key': 'key-xinluo-labour' };
const labour = departments.labourInspection;

describe.runIf(servers)("a 江山镇司法所 clerk's day", () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    await issueAgencyKey(db, clerk['x-api-key'], { code: '350802107-judicial_office', name: '江山镇司法所' });
    await issueAgencyKey(db, brigade['x-api-key'], labour);
    app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'clerk');
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const act = (caseId: string, action: string, headers: Record<string, string>, payload: object = {}) =>
    app.inject({ method: 'POST', url: `/v1/cases/${caseId}/${action}`, headers, payload });

  it('finds the case a webhook or Kafka assignment (which names the dispute) is about, and only its own', async () => {
    const { caseId, disputeId } = await seedRoutedCase(db);
    const found = await app.inject({ url: `/v1/disputes/${disputeId}`, headers: clerk });
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toEqual({ disputeId, caseId });
    // Another town's dispute is none of its business: unknown, as an unknown one.
    const other = await seedRoutedCase(db, { place: towns.xiayang });
    const hidden = await app.inject({ url: `/v1/disputes/${other.disputeId}`, headers: clerk });
    expect(hidden.statusCode).toBe(404);
  });

  it('a worklist: a case withdrawn from the office leaves it; the most urgent first', async () => {
    const kept = await seedRoutedCase(db, { content: '江山镇邻里宅基地纠纷' });
    const moved = await seedRoutedCase(db, { content: '江山镇工地欠薪' });
    const movedDispute = (await db.report.findFirstOrThrow({ where: { caseId: moved.caseId } })).intake;
    await recordAssignment(db, decisionFor(movedDispute as never, { version: 2, place: towns.xiayang }));
    const list = await app.inject({
      url: '/v1/cases?sort=due&status=assigned,accepted,mediating',
      headers: clerk,
    });
    expect(list.statusCode, list.body).toBe(200);
    const ids = list.json().items.map((item: { caseId: string }) => item.caseId);
    expect(ids).toContain(kept.caseId);
    expect(ids).not.toContain(moved.caseId);
    const dues = list.json().items.map((item: { dueAt: string }) => item.dueAt);
    expect(dues).toEqual([...dues].sort());
    // Read again, it says it was withdrawn from the office (not the 404 of a wrong id), and nothing more.
    const gone = await app.inject({ url: `/v1/cases/${moved.caseId}`, headers: clerk });
    expect(gone.statusCode).toBe(410);
    expect(gone.json().error).toMatchObject({ code: 'withdrawn', details: { reason: 're-routed' } });
  });

  it('the actions the API offers the clerk are the ones the clerk may take', async () => {
    const { caseId } = await seedRoutedCase(db, { coHandlers: [labour] });
    const seen = await app.inject({ url: `/v1/cases/${caseId}`, headers: brigade });
    // A co-handler cannot accept (the lead's), nor escalate (the operators').
    expect(seen.json().allowedActions).toEqual(['add_note']);
    const tooEarly = await act(caseId, 'progress', clerk, { note: '已联系' });
    expect(tooEarly.statusCode).toBe(409);
    expect(tooEarly.json().error.details).toEqual({
      status: 'assigned',
      allowedActions: ['add_note', 'accept'],
    });
    expect((await act(caseId, 'accept', clerk)).json().allowedActions).toEqual([
      'add_note',
      'record_progress',
      'record_outcome',
    ]);
    const done = await act(caseId, 'outcome', clerk, {
      kind: 'mediated',
      summary: '老板同意支付',
      amount: 3800,
    });
    // Closing is the operators': the clerk is offered notes only.
    expect(done.json().allowedActions).toEqual(['add_note']);
  });

  it('an outcome says what was agreed or why not: without a summary it is refused, saying so', async () => {
    const { caseId } = await seedRoutedCase(db);
    await act(caseId, 'accept', clerk);
    for (const outcome of [
      { kind: 'mediated', amount: 3800 },
      { kind: 'not_mediated', referredTo: 'litigation' },
    ]) {
      const response = await act(caseId, 'outcome', clerk, outcome);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.fields).toEqual([expect.objectContaining({ field: 'summary' })]);
    }
    const withdrawn = await act(caseId, 'outcome', clerk, { kind: 'withdrawn' });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
  });

  it('an outcome that contradicts itself is refused, naming the field its kind does not take: an amount only when mediated, referredTo only when not mediated', async () => {
    // A token is good while its operator is as it was issued to (http/auth.ts).
    await db.operator.upsert({
      where: { username: 'op-xinluo' },
      create: { username: 'op-xinluo', passwordHash: 'no sign-in', role: 'operator', scopeCode: '350802' },
      update: {},
    });
    const operator = {
      authorization: `Bearer ${signToken({ sub: 'op-xinluo', role: 'operator', scope: '350802' }, 'x'.repeat(40))}`,
    };
    const { caseId } = await seedRoutedCase(db);
    await act(caseId, 'accept', clerk);
    const amountOnly =
      /^only a mediated outcome has an agreed amount; leave it out of a (not_mediated|withdrawn) one$/;
    const referredOnly = /^only a not_mediated outcome says where the matter goes next/;
    // The lead's agency and an operator are held to the same rule.
    for (const who of [clerk, operator]) {
      for (const [outcome, field, reason] of [
        [
          { kind: 'mediated', summary: '达成协议', amount: 100, referredTo: 'litigation' },
          'referredTo',
          referredOnly,
        ],
        [{ kind: 'withdrawn', amount: 5000 }, 'amount', amountOnly],
        [{ kind: 'withdrawn', referredTo: 'arbitration' }, 'referredTo', referredOnly],
        [
          { kind: 'not_mediated', summary: '双方分歧较大', amount: 0, referredTo: 'litigation' },
          'amount',
          amountOnly,
        ],
      ] as const) {
        const response = await act(caseId, 'outcome', who, outcome);
        expect(response.statusCode, response.body).toBe(400);
        expect(response.json().error).toMatchObject({
          code: 'invalid_request',
          fields: [{ field, reason: expect.stringMatching(reason) }],
        });
      }
    }
    // Nothing was recorded: the case still waits for its outcome, which its kind's fields give.
    const detail = (await app.inject({ url: `/v1/cases/${caseId}`, headers: clerk })).json();
    expect(detail).toMatchObject({ status: 'accepted', outcome: null });
    const done = await act(caseId, 'outcome', clerk, {
      kind: 'not_mediated',
      summary: '双方分歧较大',
      referredTo: 'litigation',
    });
    expect(done.statusCode, done.body).toBe(200);
  });

  it('an agreed amount the case cannot keep exactly is refused, naming the amount; what it keeps, the citizen is told', async () => {
    const { caseId } = await seedRoutedCase(db);
    await act(caseId, 'accept', clerk);
    // A slip of the keyboard (three decimals, four zeros too many): refused, not a 500 nor a figure
    // rounded in the case while the hotline and the court are told another.
    for (const [amount, reason] of [
      [3800.555, 'yuan with at most two decimals (fen)'],
      [38_000_000_000_000, 'at most 999,999,999,999.99 yuan'],
    ] as const) {
      const response = await act(caseId, 'outcome', clerk, {
        kind: 'mediated',
        summary: '老板同意支付',
        amount,
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.fields).toEqual([{ field: 'amount', reason }]);
    }
    const done = await act(caseId, 'outcome', clerk, {
      kind: 'mediated',
      summary: '老板同意支付',
      amount: 3800.55,
    });
    expect(done.statusCode, done.body).toBe(200);
    const detail = (await app.inject({ url: `/v1/cases/${caseId}`, headers: clerk })).json();
    expect(detail.outcome.amount).toBe(3800.55);
    const told = await db.outboxEvent.findFirstOrThrow({
      where: { key: caseId, eventName: 'case.status.v1' },
      orderBy: { id: 'desc' },
    });
    expect((told.data as { outcome: { amount: number } }).outcome.amount).toBe(3800.55);
  });
});
