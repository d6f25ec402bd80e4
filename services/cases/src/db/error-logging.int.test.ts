import { errorReason } from '@huijie/database/error-for-log.ts';
import { postgresClient } from '@huijie/database/sql-client.ts';
import { createServiceApp } from '@huijie/service-kit/http-app.ts';
import { capturedLogger } from '@huijie/service-kit/log-capture.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCasesDb } from './fresh-cases-db.ts';
import type { CasesDb } from './prisma.ts';

const servers = await requireServers('postgres');

/** Guo's name and number: what the real drivers put in their messages, and no log line may hold. */
const guo = { name: '郭某', phone: '13800000000' };
const caseId = '00000000-0000-4000-8000-000000000001';

async function failure(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the database to refuse');
}

/** The error as the service logger writes it: the whole line as text, and its `err` field. */
function logged(error: Error): { text: string; err: Record<string, unknown> } {
  const { logger, lines } = capturedLogger('cases');
  logger.error({ err: error }, 'write failed');
  return { text: lines.join(''), err: JSON.parse(lines[0]!).err };
}

function expectNoPersonalData(text: string) {
  expect(text).not.toContain(guo.name);
  expect(text).not.toContain(guo.phone);
}

describe.runIf(servers)('errors from the real database drivers, logged', () => {
  let db: CasesDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
  });
  afterAll(async () => {
    await drop?.();
  });

  /** Prisma renders the whole call, values and all, into the message (and the stack). */
  const badPartyWrite = () =>
    db.party.create({
      data: { caseId, disputeId: caseId, role: 'caller', kind: 42, ...guo } as never,
    });
  /** PostgreSQL refuses the value and quotes it: here Guo's number where a UUID belongs. */
  const numberAsUuid = () =>
    db.party.create({ data: { caseId, disputeId: guo.phone, role: 'caller', kind: 'person', ...guo } });

  it('keeps the argument Prisma refused, not the query it prints with Guo’s name and number', async () => {
    const error = await failure(badPartyWrite);
    expect(error.message).toContain(guo.phone);
    expect(error.stack).toContain(guo.name);
    const { text, err } = logged(error);
    expectNoPersonalData(text);
    expect(err.type).toBe('PrismaClientValidationError');
    expect(err.reason).toMatch(/^Argument `kind`: Invalid value provided/);
    expect(err.stack).toMatch(/error-logging\.int\.test\.ts:\d+:\d+/);
  });

  it("keeps Prisma's code and PostgreSQL's SQLSTATE, not the value PostgreSQL quotes", async () => {
    const error = await failure(numberAsUuid);
    expect(error.message).toContain(guo.phone);
    const { text, err } = logged(error);
    expectNoPersonalData(text);
    expect(err).toMatchObject({
      type: 'PrismaClientKnownRequestError',
      code: 'P2007',
      sqlState: '22P02',
      kind: 'InvalidInputValue',
      model: 'Party',
    });
  });

  it('keeps the constraint and table of a duplicate key, not the key pg quotes in `detail`', async () => {
    const database = await freshDatabase(servers!.databaseUrl!);
    const sql = postgresClient(database.url, { max: 1 });
    try {
      await sql.query('CREATE TABLE callers (phone text CONSTRAINT callers_phone_key UNIQUE, name text)');
      await sql.query('INSERT INTO callers VALUES ($1, $2)', [guo.phone, guo.name]);
      const error = await failure(() =>
        sql.query('INSERT INTO callers VALUES ($1, $2)', [guo.phone, guo.name]),
      );
      expect((error as Error & { detail: string }).detail).toContain(guo.phone);
      const { text, err } = logged(error);
      expectNoPersonalData(text);
      expect(err).toMatchObject({
        type: 'DatabaseError',
        code: '23505',
        table: 'callers',
        constraint: 'callers_phone_key',
        reason: 'duplicate key value violates unique constraint "callers_phone_key"',
      });
    } finally {
      await sql.close();
      await database.drop();
    }
  });

  it('answers a failed request 500 and logs the error with its code, without Guo’s name or number', async () => {
    const { logger, lines } = capturedLogger('cases');
    const app = createServiceApp({ logger, metrics: createMetrics('cases'), readiness: {} });
    app.post('/v1/parties', async () => numberAsUuid());
    try {
      const response = await app.inject({ method: 'POST', url: '/v1/parties' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({ error: { code: 'internal', message: 'internal error', fields: [] } });
      expectNoPersonalData(lines.join(''));
      const failed = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'request failed');
      expect(failed.err).toMatchObject({
        type: 'PrismaClientKnownRequestError',
        code: 'P2007',
        sqlState: '22P02',
      });
    } finally {
      await app.close();
    }
  });

  it('writes a dead letter’s reason without the values Prisma printed', async () => {
    const reason = errorReason(await failure(badPartyWrite));
    expectNoPersonalData(reason);
    expect(reason).toMatch(/^PrismaClientValidationError: Argument `kind`: Invalid value provided/);
  });
});
