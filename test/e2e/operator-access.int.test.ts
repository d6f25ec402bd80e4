import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addOperator,
  disableOperator,
  enableOperator,
  removeOperator,
  updateOperator,
} from '@huijie/cases/accounts/accounts.ts';
import type { CasesDb } from '@huijie/cases/db/prisma.ts';
import { embeddedInfrastructure, type Infrastructure } from '@huijie/standalone/platform.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');
const tempDir = () => mkdtempSync(join(tmpdir(), 'access-'));

const words = {
  gone: 'the operator has been disabled or removed since this token was issued',
  moved: "the operator's role or jurisdiction has changed since this token was issued: sign in again",
  stale:
    "this token was issued before the operator's account changed (disabled, enabled again, password, role or jurisdiction changed, or removed and added again): sign in again",
};

/**
 * The city's admin disables a leaver at 9:00 with the accounts command: the cases API refuses the
 * leaver's 8-hour token at once, and notify — which cannot read cases' operators — as soon as the
 * change has gone through cases' outbox, its relay, the bus and notify's consumer
 * (operator.access.v1), with the same words. Nothing here writes to notify: what it knows, it learnt
 * from the event.
 */
function accountsHoldAtNotify(open: () => Promise<Infrastructure>) {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  let casesDb: CasesDb;
  beforeAll(async () => {
    const infra = await open();
    casesDb = infra.casesDb;
    platform = await readyPlatform(infra, join(tempDir(), 'o.jsonl'));
  });
  afterAll(() => platform?.close());
  afterEach(() => platform?.logs.assertClean());

  const password = 'a-long-password-for-tests';
  async function signIn(username: string) {
    const answer = await platform
      .app('cases')
      .inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password } });
    expect(answer.statusCode, answer.body).toBe(200);
    return { authorization: `Bearer ${answer.json().token}` };
  }
  const deliveries = (headers: Record<string, string>) =>
    platform.app('notify').inject({ url: '/v1/deliveries', headers });
  const cases = (headers: Record<string, string>) =>
    platform.app('cases').inject({ url: '/v1/cases', headers });
  /** Notify's answer to the token once it is `status`: once the account's event has gone through. */
  const notifyAnswers = (headers: Record<string, string>, status: number, what: string) =>
    eventually(
      async () => {
        const answer = await deliveries(headers);
        return answer.statusCode === status ? answer : undefined;
      },
      { what, timeoutMs: 30_000, intervalMs: 100 },
    );
  /** Notify refuses the token with cases' status, code, words and field. */
  async function refusedAlike(headers: Record<string, string>, message: string, what: string) {
    const atNotify = await notifyAnswers(headers, 401, what);
    const atCases = await cases(headers);
    expect(atCases.statusCode).toBe(401);
    expect(atNotify.json()).toEqual(atCases.json());
    expect(atNotify.json().error).toMatchObject({ code: 'unauthorized', message });
  }
  // A token's iat is in whole seconds, and one of the change's second is kept: each change comes in
  // a later second than the token it must end, as an administrator's would.
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));

  it("a leaver disabled at cases is refused by notify with cases' words; enabled again, the old token stays refused and a fresh sign-in reads", async () => {
    await addOperator(casesDb, { username: 'leaver', role: 'operator', scope: '350802', password });
    const beforeDisable = await signIn('leaver');
    expect((await deliveries(beforeDisable)).statusCode).toBe(200);

    await nextSecond();
    await disableOperator(casesDb, 'leaver');
    await refusedAlike(beforeDisable, words.gone, "notify refusing the disabled leaver's token");

    await enableOperator(casesDb, 'leaver');
    const afterEnable = await signIn('leaver');
    // Answered 401 until the enable has gone through: the account disabled, as notify last heard.
    await notifyAnswers(afterEnable, 200, 'notify taking the token signed after enable-operator');
    await refusedAlike(beforeDisable, words.stale, 'notify refusing the token from before the disable');
  });

  it('an operator moved to another county is refused until they sign in again; removed, refused again', async () => {
    await addOperator(casesDb, { username: 'mover', role: 'operator', scope: '350802', password });
    const inXinluo = await signIn('mover');
    expect((await deliveries(inXinluo)).statusCode).toBe(200);

    await updateOperator(casesDb, 'mover', { scope: '350803' });
    await refusedAlike(inXinluo, words.moved, "notify refusing the token of the operator's former county");
    const inYongding = await signIn('mover');
    expect((await deliveries(inYongding)).statusCode).toBe(200);

    await removeOperator(casesDb, 'mover');
    await refusedAlike(inYongding, words.gone, "notify refusing the removed operator's token");
  });
}

describe.runIf(servers)("operators' accounts changed at cases hold at notify too: Kafka + PostgreSQL", () => {
  accountsHoldAtNotify(() => kafkaInfrastructure(servers!));
});

describe("operators' accounts changed at cases hold at notify too: the embedded engines (standalone mode)", () => {
  accountsHoldAtNotify(() => embeddedInfrastructure(tempDir()));
});
