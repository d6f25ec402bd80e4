import { catalogue } from '@huijie/contracts/catalogue.ts';
import { migrate } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { casesDbBefore } from './fresh-cases-db.ts';
import { casesMigrationsDir, casesSchema } from './prisma.ts';

const servers = await requireServers('postgres');
const announcement = '20261205000000_announce_operators';

describe.runIf(servers)(
  'the migration that announces the operators there were before operator.access.v1',
  () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('writes one outbox event per operator, as it stands, that the relay can publish: no hash', async () => {
      const database = await casesDbBefore(servers!.databaseUrl!, announcement);
      cleanups.push(database.cleanup);
      const { sql } = database;
      const operators = [
        ['city-admin', 'scrypt$salt$hash', 'admin', '350800', '2026-12-01T01:00:00.123Z'],
        ['leaver', '!scrypt$salt$hash', 'operator', '350802', '2026-12-02T01:00:00.000Z'],
        ['jiangshan-li', 'scrypt$salt$hash', 'leader', '350802107', '2026-12-03T09:30:05.007+08:00'],
      ];
      for (const [username, hash, role, scope, validFrom] of operators) {
        await sql.query(
          `INSERT INTO cases.operators (username, password_hash, role, scope_code, tokens_valid_from)
         VALUES ($1, $2, $3, $4, $5)`,
          [username, hash, role, scope, validFrom],
        );
      }

      await migrate(sql, { migrationsDir: casesMigrationsDir, schema: casesSchema });

      const rows = (
        await sql.query<{
          event_name: string;
          topic: string;
          key: string;
          data: unknown;
          published_at: Date | null;
        }>('SELECT event_name, topic, key, data, published_at FROM cases.outbox ORDER BY id')
      ).rows;
      expect(rows.map((row) => [row.event_name, row.topic, row.key, row.published_at])).toEqual([
        ['operator.access.v1', 'operator.access.v1', 'city-admin', null],
        ['operator.access.v1', 'operator.access.v1', 'jiangshan-li', null],
        ['operator.access.v1', 'operator.access.v1', 'leaver', null],
      ]);
      // What the relay's publish checks before anything goes out.
      const published = rows.map((row) => catalogue['operator.access.v1'].schema.parse(row.data));
      expect(published).toEqual([
        {
          username: 'city-admin',
          status: 'active',
          role: 'admin',
          scope: '350800',
          tokensValidFrom: '2026-12-01T01:00:00.123Z',
          occurredAt: expect.any(String),
        },
        {
          username: 'jiangshan-li',
          status: 'active',
          role: 'leader',
          scope: '350802107',
          tokensValidFrom: '2026-12-03T01:30:05.007Z',
          occurredAt: expect.any(String),
        },
        {
          username: 'leaver',
          status: 'disabled',
          role: 'operator',
          scope: '350802',
          tokensValidFrom: '2026-12-02T01:00:00.000Z',
          occurredAt: expect.any(String),
        },
      ]);
      // At the migration's time, by the database's clock, as every later change is stamped: later.
      const stamps = new Set(published.map((event) => event.occurredAt));
      expect(stamps.size).toBe(1);
      // (The database runs on this machine: its clock is this one's, give or take.)
      expect(Math.abs(Date.parse([...stamps][0]!) - Date.now())).toBeLessThan(10 * 60_000);
      expect(JSON.stringify(rows)).not.toContain('scrypt');
    });
  },
);
