import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { hashPassword } from '@huijie/service-kit/auth-token.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAssignment } from '../consumers/record-events.ts';
import { decisionFor, departments, seedRoutedCase, towns } from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import { idempotencyWindowMs, pruneIdempotencyKeys } from '../db/idempotency-keys.ts';
import type { CasesDb } from '../db/prisma.ts';
import { casesAppOnKafka, issueAgencyKey } from './api-fixtures.ts';

const servers = await requireServers('postgres', 'kafka');

/** The town's judicial office leads the seeded cases; its governance office co-handles them, with keys of its own. */
const { judicialOffice: lead, governanceOffice: office } = departments;

describe.runIf(servers)('case actions sent with an Idempotency-Key', () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  let operatorToken = '';

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    await db.operator.create({
      data: {
        username: 'xinluo',
        passwordHash: await hashPassword('pw'),
        role: 'operator',
        scopeCode: '350802',
      },
    });
    await issueAgencyKey(db, 'key-lead', lead);
    await issueAgencyKey(db, 'key-office', office);
    app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'idempotent-actions');
    const token = await app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { username: 'xinluo', password: 'pw' },
    });
    operatorToken = token.json().token;
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  const agency = { 'x-api-key': 'key-lead' };
  const coHandler = { 'x-api-key': 'key-office' };
  const operator = () => ({ authorization: `Bearer ${operatorToken}` });
  const act = (
    caseId: string,
    action: string,
    headers: Record<string, string>,
    payload: object = {},
    key?: string,
  ) =>
    app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/${action}`,
      headers: { ...headers, ...(key !== undefined && { 'idempotency-key': key }) },
      payload,
    });
  /** The history entries of these types; 'progress' stands for a progress note (its first is `mediating`). */
  const historyOf = async (caseId: string, type: string) =>
    (
      await db.historyEntry.findMany({
        where: { caseId, type: { in: type === 'progress' ? ['mediating', 'progress'] : [type] } },
        orderBy: { id: 'asc' },
      })
    ).map((entry) => ({
      actor: entry.actor,
      detail: entry.detail,
    }));
  let seeded = 0;
  /** A case led by the judicial office (the office co-handling it), accepted or not. */
  const seedCase = async (options: { accepted?: boolean } = {}) => {
    seeded++;
    const { caseId, disputeId } = await seedRoutedCase(db, {
      content: `江山镇第${seeded}号工地的工钱一直没有结清`,
      applicant: { name: `申请人${seeded}`, phone: `1390000${String(seeded).padStart(4, '0')}` },
      coHandlers: [office],
    });
    if (options.accepted) expect((await act(caseId, 'accept', agency)).statusCode).toBe(200);
    return { caseId, disputeId };
  };

  it('a retried progress note is recorded once, and the retry gets the same answer', async () => {
    const { caseId } = await seedCase({ accepted: true });
    const first = await act(caseId, 'progress', agency, { note: 'same note retried' }, 'agency-retry-1');
    const retry = await act(caseId, 'progress', agency, { note: 'same note retried' }, 'agency-retry-1');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ caseId, status: 'mediating' });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(await historyOf(caseId, 'progress')).toEqual([
      { actor: `agency:${lead.code}`, detail: { note: 'same note retried' } },
    ]);
    // The same body written otherwise (spaces a note is trimmed of) is the same request.
    const spaced = await act(caseId, 'progress', agency, { note: ' same note retried ' }, 'agency-retry-1');
    expect(spaced.json()).toEqual(first.json());
    expect(await historyOf(caseId, 'progress')).toHaveLength(1);
  });

  it('a retried accept gets the first 200, not a 409 for a case already accepted', async () => {
    const { caseId } = await seedCase();
    const first = await act(caseId, 'accept', agency, {}, 'accept-0001');
    expect(first.statusCode, first.body).toBe(200);
    const retry = await act(caseId, 'accept', agency, {}, 'accept-0001');
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toEqual(first.json());
    expect(await historyOf(caseId, 'accepted')).toHaveLength(1);
    // Without the key, accepting again is what it always was: refused, the case already accepted.
    const again = await act(caseId, 'accept', agency);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_transition');
  });

  it('without a key nothing changes: the same note sent twice is recorded twice', async () => {
    const { caseId } = await seedCase({ accepted: true });
    for (let i = 0; i < 2; i++) {
      expect((await act(caseId, 'progress', agency, { note: 'same note retried' })).statusCode).toBe(200);
    }
    expect(await historyOf(caseId, 'progress')).toHaveLength(2);
  });

  it('the same key with another body, action or case is a 422 naming Idempotency-Key; nothing is recorded', async () => {
    const { caseId } = await seedCase({ accepted: true });
    const other = await seedCase({ accepted: true });
    expect((await act(caseId, 'progress', agency, { note: '已联系老板' }, 'reused-key')).statusCode).toBe(
      200,
    );
    for (const [id, action, body, says] of [
      [caseId, 'progress', { note: '老板同意面谈' }, 'this action with another body'],
      [caseId, 'notes', { note: '已联系老板' }, `another request (POST /v1/cases/${caseId}/progress)`],
      [
        other.caseId,
        'progress',
        { note: '已联系老板' },
        `another request (POST /v1/cases/${caseId}/progress)`,
      ],
    ] as const) {
      const refused = await act(id, action, agency, body, 'reused-key');
      expect(refused.statusCode, refused.body).toBe(422);
      expect(refused.json()).toEqual({
        error: {
          code: 'idempotency_key_reused',
          message: expect.stringContaining('Idempotency-Key already used'),
          fields: [{ field: 'Idempotency-Key', reason: expect.stringContaining(says) }],
        },
      });
    }
    expect(await historyOf(caseId, 'progress')).toHaveLength(1);
    expect(await historyOf(caseId, 'note')).toHaveLength(0);
    expect(await historyOf(other.caseId, 'progress')).toHaveLength(0);
  });

  it("a key is its caller's own: another agency or an operator sending the same key is acted on", async () => {
    const { caseId } = await seedCase({ accepted: true });
    const byLead = await act(caseId, 'notes', agency, { note: '已联系老板' }, 'shared-key');
    const byOffice = await act(caseId, 'notes', coHandler, { note: '已联系老板' }, 'shared-key');
    const byOperator = await act(caseId, 'notes', operator(), { note: '已联系老板' }, 'shared-key');
    expect([byLead, byOffice, byOperator].map((r) => r.statusCode)).toEqual([200, 200, 200]);
    // What each is answered is for it: the operator is offered an operator's actions.
    expect(byOperator.json().allowedActions).toContain('escalate');
    expect(byLead.json().allowedActions).not.toContain('escalate');
    expect((await historyOf(caseId, 'note')).map((entry) => entry.actor)).toEqual([
      `agency:${lead.code}`,
      `agency:${office.code}`,
      'operator:xinluo',
    ]);
  });

  it('requests with one key at once are applied once, each answered what it did', async () => {
    const { caseId } = await seedCase({ accepted: true });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        act(caseId, 'progress', agency, { note: 'sent four times at once' }, 'concurrent-key'),
      ),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    expect(await historyOf(caseId, 'progress')).toHaveLength(1);
    // With another body at once: one is acted on, the other refused for its key (never both).
    const mixed = await Promise.all([
      act(caseId, 'notes', agency, { note: '甲' }, 'concurrent-mixed'),
      act(caseId, 'notes', agency, { note: '乙' }, 'concurrent-mixed'),
    ]);
    expect(mixed.map((r) => r.statusCode).sort()).toEqual([200, 422]);
    expect(await historyOf(caseId, 'note')).toHaveLength(1);
  });

  it("a refusal is not remembered: the key's retry is acted on anew once the case allows it", async () => {
    const { caseId } = await seedCase({ accepted: true });
    const early = await act(caseId, 'close', operator(), {}, 'close-key');
    expect(early.statusCode).toBe(409);
    const outcome = { kind: 'mediated', summary: '老板同意支付', amount: 3800 };
    expect((await act(caseId, 'outcome', agency, outcome, 'outcome-key')).statusCode).toBe(200);
    const closed = await act(caseId, 'close', operator(), {}, 'close-key');
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json().status).toBe('closed');
    expect((await act(caseId, 'close', operator(), {}, 'close-key')).json()).toEqual(closed.json());
    expect(await historyOf(caseId, 'closed')).toHaveLength(1);
  });

  it("an operator's retried merge and correction get their first answers; neither is done twice", async () => {
    const from = await seedCase();
    const into = await seedCase();
    const merge = { intoCaseId: into.caseId, reason: '同一事项' };
    const merged = await act(from.caseId, 'merge', operator(), merge, 'merge-key');
    expect(merged.statusCode, merged.body).toBe(200);
    // Without the key a second merge is a 409: the case is merged already.
    const retry = await act(from.caseId, 'merge', operator(), merge, 'merge-key');
    expect([retry.statusCode, retry.json()]).toEqual([200, merged.json()]);

    const correction = { category: 'neighborhood', reason: '类别有误' };
    const corrected = await act(into.caseId, 'correct', operator(), correction, 'correct-key');
    const again = await act(into.caseId, 'correct', operator(), correction, 'correct-key');
    expect([corrected.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.json()).toEqual(corrected.json());
    expect(await historyOf(into.caseId, 'corrected')).toHaveLength(1);
    const routingAsked = await db.outboxEvent.findMany({ where: { eventName: 'case.correction.v1' } });
    expect(
      routingAsked.filter((event) => (event.data as { caseId: string }).caseId === into.caseId),
    ).toHaveLength(1);
  });

  it('a retry from a department withdrawn since is refused as without the key (410), not told its old success', async () => {
    const { caseId, disputeId } = await seedCase();
    const note = { note: '已电话联系申请人' };
    expect((await act(caseId, 'notes', agency, note, 'before-withdrawal')).statusCode).toBe(200);
    // Routed again to 下洋镇: the town's judicial office and its co-handler are withdrawn.
    const report = await db.report.findUniqueOrThrow({ where: { disputeId } });
    await recordAssignment(
      db,
      decisionFor(report.intake as unknown as DisputeReceivedV1, { version: 2, place: towns.xiayang }),
    );
    const retry = await act(caseId, 'notes', agency, note, 'before-withdrawal');
    expect(retry.statusCode, retry.body).toBe(410);
    expect(retry.json().error.code).toBe('withdrawn');
    expect(await historyOf(caseId, 'note')).toHaveLength(1);
  });

  it('a key longer than 255 characters, or beyond printable ASCII, is a 400 naming Idempotency-Key', async () => {
    const { caseId } = await seedCase({ accepted: true });
    for (const key of ['k'.repeat(256), 'tab\there']) {
      const refused = await act(caseId, 'notes', agency, { note: '记录' }, key);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error.fields).toEqual([
        { field: 'Idempotency-Key', reason: '1 to 255 printable ASCII characters' },
      ]);
    }
    expect((await act(caseId, 'notes', agency, { note: '记录' }, 'k'.repeat(255))).statusCode).toBe(200);
    expect(await historyOf(caseId, 'note')).toHaveLength(1);
  });

  it('a key is remembered for its window: past it, a retry is a new request, and pruning forgets it', async () => {
    const { caseId } = await seedCase({ accepted: true });
    expect((await act(caseId, 'notes', agency, { note: '昨天的记录' }, 'old-key')).statusCode).toBe(200);
    expect((await act(caseId, 'notes', agency, { note: '今天的记录' }, 'new-key')).statusCode).toBe(200);
    const aged = new Date(Date.now() - idempotencyWindowMs - 60_000);
    await db.idempotencyKey.updateMany({ where: { key: 'old-key' }, data: { createdAt: aged } });
    expect((await act(caseId, 'notes', agency, { note: '昨天的记录' }, 'old-key')).statusCode).toBe(200);
    expect(await historyOf(caseId, 'note')).toHaveLength(3);

    await db.idempotencyKey.updateMany({ where: { key: 'old-key' }, data: { createdAt: aged } });
    expect(await pruneIdempotencyKeys(db, new Date(Date.now() - idempotencyWindowMs))).toBe(1);
    expect(
      (await db.idempotencyKey.findMany({ where: { caller: `agency:${lead.code}` } })).map((k) => k.key),
    ).toContain('new-key');
    expect(await db.idempotencyKey.count({ where: { key: 'old-key' } })).toBe(0);
  });

  it('the OpenAPI document gives every action the optional Idempotency-Key header', async () => {
    const doc = (await app.inject({ url: '/docs/openapi.json' })).json();
    const actions = Object.entries(doc.paths as Record<string, { post?: { tags?: string[] } }>).filter(
      ([, methods]) => methods.post?.tags?.includes('case actions'),
    );
    expect(actions.map(([path]) => path.split('/').at(-1)).sort()).toEqual([
      'accept',
      'close',
      'correct',
      'detach',
      'escalate',
      'merge',
      'notes',
      'outcome',
      'progress',
    ]);
    for (const [, methods] of actions) {
      const header = (methods.post as { parameters: { in: string; name: string }[] }).parameters.find(
        (p) => p.in === 'header',
      );
      expect(header).toMatchObject({
        name: 'Idempotency-Key',
        description: expect.stringContaining('within 24 hours'),
        schema: { type: 'string', maxLength: 255 },
      });
      expect((header as { required?: boolean }).required).toBeFalsy();
    }
  });
});
