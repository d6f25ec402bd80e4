import { createHash } from 'node:crypto';
import { freshDatabase, requireServers } from '@huijie/testing/servers.ts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRoutedCase } from '../consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import { type CasesDb, casesDb } from '../db/prisma.ts';
import { casesAppOnKafka } from '../http/api-fixtures.ts';
import {
  AccountError,
  addOperator,
  disableOperator,
  enableOperator,
  issueApiKey,
  listOperators,
  removeOperator,
  revokeApiKey,
  updateOperator,
} from './accounts.ts';
import { runAccountsCommand } from './accounts-command.ts';

const servers = await requireServers('postgres', 'kafka');

describe.runIf(servers)('the accounts command', () => {
  let db: CasesDb;
  let app: FastifyInstance;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    app = await casesAppOnKafka(db, servers!.kafkaBrokers!, 'accounts');
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  /** The command as the engineer runs it: what it printed on stdout and stderr, and its exit code. */
  async function accounts(args: string, password?: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAccountsCommand(args.split(' '), {
      db,
      readPassword: async () => {
        if (password === undefined) throw new Error('the command asked for a password it was not given');
        return password;
      },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out, err: err.join('\n') };
  }
  const signIn = (username: string, password: string) =>
    app.inject({ method: 'POST', url: '/v1/auth/token', payload: { username, password } });

  it('adds a town operator who signs in to their town; the password from stdin is printed nowhere', async () => {
    const password = 'correct horse battery staple';
    const added = await accounts(
      'add-operator jiangshan-li --role=operator --scope=350802107 --password-stdin',
      password,
    );
    expect(added.code, added.err).toBe(0);
    expect(added.err).toContain('350802107 新罗区江山镇');
    expect([...added.out, added.err].join('\n')).not.toContain(password);
    const token = await signIn('jiangshan-li', password);
    expect(token.statusCode, token.body).toBe(200);
    expect(token.json()).toMatchObject({ role: 'operator', scope: '350802107' });
  });

  it('a generated password is printed once, on stdout alone, and works', async () => {
    const added = await accounts('add-operator xinluo-wang --role=leader --scope=350802');
    expect(added.code, added.err).toBe(0);
    expect(added.out).toHaveLength(1);
    const [password] = added.out as [string];
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(added.err).not.toContain(password);
    expect((await signIn('xinluo-wang', password)).json()).toMatchObject({ role: 'leader', scope: '350802' });
  });

  it('refuses, saying why: an existing username, an unknown scope or role, a short password, a password argument', async () => {
    await addOperator(db, {
      username: 'taken',
      role: 'admin',
      scope: '350800',
      password: 'a-long-password-1',
    });
    const again = await accounts('add-operator taken --role=admin --scope=350800', undefined);
    expect(again).toMatchObject({ code: 1, out: [] });
    expect(again.err).toContain('operator taken already exists');
    const scope = await accounts('add-operator someone --role=admin --scope=350899');
    expect(scope).toMatchObject({ code: 1, out: [] });
    expect(scope.err).toContain('unknown scope "350899"');
    // A village is not a jurisdiction, nor is another city.
    for (const code of ['350802107201', '350100']) {
      await expect(
        addOperator(db, {
          username: 'someone',
          role: 'operator',
          scope: code,
          password: 'a-long-password-1',
        }),
      ).rejects.toThrow(AccountError);
    }
    expect((await accounts('add-operator someone --role=root --scope=350800')).err).toContain(
      'unknown role "root"',
    );
    const short = await accounts(
      'add-operator someone --role=admin --scope=350800 --password-stdin',
      'short',
    );
    expect(short.err).toContain('at least 12 characters');
    const onLine = await accounts(
      'add-operator someone --role=admin --scope=350800 --password=hunter2hunter2',
    );
    expect(onLine.code).toBe(2);
    expect(onLine.err).toContain('--password-stdin');
    expect(onLine.err).not.toContain('hunter2');
    expect((await listOperators(db)).map((o) => o.username)).not.toContain('someone');
  });

  it('answers --help (and -h, help) with its usage on stdout, exit 0; an unknown option is a usage error, exit 2', async () => {
    for (const args of ['--help', '-h', 'help', 'issue-key --help']) {
      const asked = await accounts(args);
      expect(asked.code, args).toBe(0);
      expect(asked.out.join('\n')).toContain('disable-operator <username>');
      expect(asked.err).toBe('');
    }
    // `help` as a name is a name: list-departments looks for a place called so, no usage.
    const named = await accounts('list-departments help');
    expect(`${named.out.join('\n')}${named.err}`).not.toContain('usage:');
    const unknown = await accounts('list-operators --verbose');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('usage:');
  });

  it("lists a town's departments by its name, those whose own name does not say it included", async () => {
    const { code, out } = await accounts('list-departments 江山镇');
    expect(code).toBe(0);
    const listed = out.map((line) => line.split('\t'));
    expect(listed).toContainEqual(['350802107-judicial_office', '江山镇司法所', '新罗区江山镇']);
    // 江山派出所: found by its place, not its name.
    expect(listed.map(([department]) => department)).toContain('350802107-police_station');
    expect(listed.every(([, , place]) => place?.includes('江山镇'))).toBe(true);
  });

  it('a disabled operator cannot sign in until enabled; a removed one never again; the list shows no hash', async () => {
    const password = 'a-long-password-2';
    await addOperator(db, { username: 'leaver', role: 'operator', scope: '350803', password });
    expect((await accounts('disable-operator leaver')).code).toBe(0);
    expect((await signIn('leaver', password)).statusCode).toBe(401);
    const listed = await accounts('list-operators');
    expect(listed.out.find((line) => line.startsWith('leaver\t'))).toMatch(
      /^leaver\toperator\t350803\t永定区\tdisabled\t/,
    );
    expect(listed.out.join('\n')).not.toContain('scrypt');
    expect((await accounts('enable-operator leaver')).code).toBe(0);
    expect((await signIn('leaver', password)).statusCode).toBe(200);
    // A new password also moves them: old one refused, new one works.
    const moved = await accounts('update-operator leaver --scope=350821 --new-password');
    expect(moved.code, moved.err).toBe(0);
    expect((await signIn('leaver', password)).statusCode).toBe(401);
    expect((await signIn('leaver', moved.out[0]!)).json()).toMatchObject({ scope: '350821' });
    expect((await accounts('remove-operator leaver')).code).toBe(0);
    expect((await signIn('leaver', moved.out[0]!)).statusCode).toBe(401);
    expect((await accounts('remove-operator leaver')).err).toContain('no operator leaver');
  });

  it('the cases API refuses the tokens issued before enable-operator, update-operator or remove-operator and add-operator again; a fresh sign-in reads', async () => {
    const password = 'a-long-password-3';
    const tokenOf = async (secret: string) => {
      const answer = await signIn('returner', secret);
      expect(answer.statusCode, answer.body).toBe(200);
      return { authorization: `Bearer ${answer.json().token}` };
    };
    const reads = async (headers: Record<string, string>) =>
      (await app.inject({ url: '/v1/cases', headers })).statusCode;
    // A token's iat is in whole seconds, and one of the change's second is kept: each change comes
    // in a later second than the token it must end, as an administrator's would.
    const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1001 - (Date.now() % 1000)));

    await addOperator(db, { username: 'returner', role: 'operator', scope: '350803', password });
    const beforeDisable = await tokenOf(password);
    expect(await reads(beforeDisable)).toBe(200);
    await nextSecond();
    expect((await accounts('disable-operator returner')).code).toBe(0);
    const enabled = await accounts('enable-operator returner');
    expect(enabled.code).toBe(0);
    expect(enabled.err).toContain('still refuse the tokens issued before');
    expect(await reads(beforeDisable)).toBe(401);
    const afterEnable = await tokenOf(password);
    expect(await reads(afterEnable)).toBe(200);

    await nextSecond();
    const reset = await accounts('update-operator returner --new-password');
    expect(reset.code, reset.err).toBe(0);
    expect(reset.err).toContain('refuses the tokens issued before');
    expect(await reads(afterEnable)).toBe(401);
    const afterReset = await tokenOf(reset.out[0]!);
    expect(await reads(afterReset)).toBe(200);

    await nextSecond();
    expect((await accounts('remove-operator returner')).code).toBe(0);
    await addOperator(db, { username: 'returner', role: 'operator', scope: '350803', password });
    expect(await reads(afterReset)).toBe(401);
    expect(await reads(await tokenOf(password))).toBe(200);
  });

  it('an issued key reads its department’s cases; once revoked it is refused with 401', async () => {
    const { caseId } = await seedRoutedCase(db);
    const issued = await accounts('issue-key 350802107-judicial_office');
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toHaveLength(1);
    const [key] = issued.out as [string];
    // ≥ 128 random bits: 32 bytes in base64url after the prefix.
    expect(key).toMatch(/^hj_[\w-]{43}$/);
    expect(issued.err).not.toContain(key);
    const keyId = /key ([0-9a-f]{12}) issued/.exec(issued.err)?.[1];
    expect(keyId).toBe(createHash('sha256').update(key).digest('hex').slice(0, 12));

    const read = await app.inject({ url: `/v1/cases/${caseId}`, headers: { 'x-api-key': key } });
    expect(read.statusCode, read.body).toBe(200);
    const listed = await accounts('list-keys');
    expect(listed.out).toContainEqual(
      expect.stringMatching(`^${keyId}\t350802107-judicial_office\t江山镇司法所\t江山镇司法所\t`),
    );
    expect(listed.out.join('\n')).not.toContain(key);
    const stored = await db.agencyKey.findMany();
    expect(JSON.stringify(stored)).not.toContain(key);

    expect((await accounts(`revoke-key ${keyId}`)).code).toBe(0);
    const refused = await app.inject({ url: `/v1/cases/${caseId}`, headers: { 'x-api-key': key } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthorized');
  });

  it('refuses an unknown department; a label two keys share revokes neither; each key is its own', async () => {
    const unknown = await accounts('issue-key 350802107-judicial');
    expect(unknown).toMatchObject({ code: 1, out: [] });
    expect(unknown.err).toContain('unknown department "350802107-judicial"');
    expect(await db.agencyKey.count({ where: { departmentCode: '350802107-judicial' } })).toBe(0);

    const police = { departmentCode: '350802107-police_station', label: '江山派出所 night desk' };
    const first = await issueApiKey(db, police);
    const second = await issueApiKey(db, police);
    expect(first.key).not.toBe(second.key);
    await expect(revokeApiKey(db, { label: police.label })).rejects.toThrow(/2 keys have label/);
    const byLabel = await accounts('revoke-key --label=nobody');
    expect(byLabel).toMatchObject({ code: 1 });
    expect(byLabel.err).toContain('no key with label "nobody"');
    await revokeApiKey(db, { keyId: first.keyId });
    const { caseId } = await seedRoutedCase(db);
    const headers = (key: string) => ({ 'x-api-key': key });
    expect(
      (await app.inject({ url: `/v1/cases?caseId=${caseId}`, headers: headers(first.key) })).statusCode,
    ).toBe(401);
    expect((await app.inject({ url: '/v1/cases', headers: headers(second.key) })).statusCode).toBe(200);
    await revokeApiKey(db, { label: police.label });
    expect((await app.inject({ url: '/v1/cases', headers: headers(second.key) })).statusCode).toBe(401);
  });

  it('announces each change of an operator (operator.access.v1) in its outbox, with the account as it is after it: nothing when nothing changed, never a hash', async () => {
    const username = 'announced';
    const announced = async () =>
      (
        await db.outboxEvent.findMany({
          where: { eventName: 'operator.access.v1', key: username },
          orderBy: { id: 'asc' },
        })
      ).map((row) => row.data as Record<string, string>);
    const stamp = async () =>
      (await db.operator.findUniqueOrThrow({ where: { username } })).tokensValidFrom.toISOString();
    const stamps: string[] = [];

    await addOperator(db, { username, role: 'operator', scope: '350802', password: 'a-long-password-4' });
    stamps.push(await stamp());
    await disableOperator(db, username);
    stamps.push(await stamp());
    await disableOperator(db, username);
    await enableOperator(db, username);
    stamps.push(await stamp());
    await enableOperator(db, username);
    await updateOperator(db, username, { role: 'leader', password: 'another-long-password' });
    stamps.push(await stamp());
    await expect(updateOperator(db, 'nobody', { role: 'leader' })).rejects.toThrow(AccountError);
    await removeOperator(db, username);
    await expect(removeOperator(db, username)).rejects.toThrow(AccountError);

    const events = await announced();
    expect(events.map((event) => [event.status, event.role, event.scope, event.tokensValidFrom])).toEqual([
      ['active', 'operator', '350802', stamps[0]],
      ['disabled', 'operator', '350802', stamps[1]],
      ['active', 'operator', '350802', stamps[2]],
      ['active', 'leader', '350802', stamps[3]],
      ['removed', 'leader', '350802', stamps[3]],
    ]);
    // Stamped by the database's clock, in the order of the changes: notify keeps the latest.
    const stamped = events.map((event) => Date.parse(event.occurredAt!));
    expect(stamped).toEqual([...stamped].sort((a, b) => a - b));
    expect(new Set(stamped).size).toBe(stamped.length);
    expect(events.every((event) => event.username === username)).toBe(true);
    expect(JSON.stringify(events)).not.toContain('scrypt');
    expect(await db.outboxEvent.count({ where: { eventName: 'operator.access.v1', key: 'nobody' } })).toBe(0);
  });
});

describe.runIf(servers)('the accounts command on a database it cannot use', () => {
  /** The command on `db`, as the script runs it with DATABASE_URL set. */
  async function accountsOn(db: CasesDb, args: string) {
    const err: string[] = [];
    const out: string[] = [];
    try {
      const code = await runAccountsCommand(args.split(' '), {
        db,
        readPassword: async () => 'correct horse battery staple',
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        databaseFrom: 'DATABASE_URL',
      });
      return { code, out, err };
    } finally {
      await db.$disconnect();
    }
  }

  it('before cases has ever started (no tables): says in one line to start it once, not Prisma’s excerpt', async () => {
    const empty = await freshDatabase(servers!.databaseUrl!);
    try {
      for (const command of ['list-operators', 'add-operator first-admin --role=admin --scope=350800']) {
        const answer = await accountsOn(casesDb({ kind: 'postgres', url: empty.url }), command);
        expect(answer).toEqual({
          code: 1,
          out: [],
          err: [
            'the database of DATABASE_URL has no cases tables yet: start the cases service on it once (it applies its migrations at start), then run this again',
          ],
        });
      }
    } finally {
      await empty.drop();
    }
  });

  it('a server that does not answer: names DATABASE_URL, in one line', async () => {
    const nowhere = new URL(servers!.databaseUrl!);
    nowhere.hostname = '127.0.0.1';
    nowhere.port = '1';
    const answer = await accountsOn(casesDb({ kind: 'postgres', url: nowhere.toString() }), 'list-keys');
    expect(answer).toEqual({
      code: 1,
      out: [],
      err: [
        "cannot use the database of DATABASE_URL (Can't reach database server at 127.0.0.1:1): check DATABASE_URL and that PostgreSQL is running",
      ],
    });
  });
});
