import { randomUUID } from 'node:crypto';
import { migrate, readMigrations } from '@huijie/database/migrate.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { notifyDbBefore } from './fresh-notify-db.ts';
import { notifyMigrationsDir, notifySchema } from './prisma.ts';

const servers = await requireServers('postgres');
const backfill = '20261218000000_deliveries_follow_their_case';

const [jiangshan, xicheng, tieshan, xiayang] = ['350802107', '350802001', '350802101', '350803105'];

describe.runIf(servers)(
  'the migration that moves the deliveries recorded before it to where their case is now',
  () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it("a case corrected from 江山镇 to 西城街道, and the report of 铁山镇 folded into it, are 西城街道's; an express-lane notice stays its secretary's, a case that never moved where it is", async () => {
      // The database as the code before left it: each delivery where it was recorded.
      const database = await notifyDbBefore(servers!.databaseUrl!, backfill);
      cleanups.push(database.cleanup);
      const { sql } = database;
      const deliver = async (
        kind: string,
        at: { disputeId?: string; caseId?: string; version?: number },
        divisionCode: string,
      ) => {
        const id = randomUUID();
        await sql.query(
          `INSERT INTO notify.deliveries (id, dedupe_key, kind, channel, recipient, dispute_id, case_id, version, division_code, payload, updated_at)
         VALUES ($1::uuid, $1::text, $2, 'outbox', 'someone', $3, $4, $5, $6, '{}', now())`,
          [id, kind, at.disputeId ?? null, at.caseId ?? null, at.version ?? null, divisionCode],
        );
        return id;
      };
      const source = (disputeId: string) =>
        sql.query(
          `INSERT INTO notify.dispute_sources (dispute_id, channel, source_ref, updated_at) VALUES ($1::uuid, 'hotline_12345', $1::text, now())`,
          [disputeId],
        );

      // Routed to 江山镇, its case assigned there, then corrected: version 2 placed it in 西城街道.
      const [moved, movedCase] = [randomUUID(), randomUUID()];
      await source(moved);
      await sql.query(
        `INSERT INTO notify.case_disputes (dispute_id, case_id, status) VALUES ($1, $2, 'assigned')`,
        [moved, movedCase],
      );
      const ofMoved = [
        await deliver('assignment', { disputeId: moved, version: 1 }, jiangshan),
        await deliver('citizen_notice', { disputeId: moved }, jiangshan),
        await deliver('assignment', { disputeId: moved, version: 2 }, xicheng),
        await deliver('withdrawal', { disputeId: moved, version: 2 }, xicheng),
      ];
      const toTownSecretary = await deliver('escalation_notice', { caseId: movedCase }, jiangshan);
      // A repeat routed to 铁山镇, folded into that case: its departments withdrawn.
      const folded = randomUUID();
      await source(folded);
      await sql.query(
        `INSERT INTO notify.case_disputes (dispute_id, case_id, status, merged_into, merged_into_dispute_id)
       VALUES ($1, $2, 'closed', $2, $3)`,
        [folded, movedCase, moved],
      );
      const ofFolded = [
        await deliver('assignment', { disputeId: folded, version: 1 }, tieshan),
        await deliver('citizen_notice', { disputeId: folded }, tieshan),
        await deliver('withdrawal', { disputeId: folded, version: 1 }, tieshan),
      ];
      // A report of 下洋镇 never moved, its case not heard of; one still in triage, handed to nobody.
      const [stayed, waiting] = [randomUUID(), randomUUID()];
      await source(stayed);
      await source(waiting);
      const ofStayed = await deliver('assignment', { disputeId: stayed, version: 1 }, xiayang);

      const applied = await migrate(sql, { migrationsDir: notifyMigrationsDir, schema: notifySchema });
      expect(applied).toEqual(
        readMigrations(notifyMigrationsDir)
          .map((migration) => migration.name)
          .filter((name) => name >= backfill),
      );

      const places = async (ids: string[]) =>
        (
          await sql.query<{ division_code: string }>(
            'SELECT division_code FROM notify.deliveries WHERE id = ANY($1::uuid[])',
            [ids],
          )
        ).rows.map((row) => row.division_code);
      expect(await places(ofMoved)).toEqual([xicheng, xicheng, xicheng, xicheng]);
      expect(await places(ofFolded)).toEqual([xicheng, xicheng, xicheng]);
      expect(await places([toTownSecretary])).toEqual([jiangshan]);
      expect(await places([ofStayed])).toEqual([xiayang]);
      // Where each dispute is remembered to be: the place of its latest version handed out.
      const remembered = await sql.query<{ dispute_id: string; division_code: string | null }>(
        'SELECT dispute_id::text, division_code FROM notify.dispute_sources WHERE dispute_id = ANY($1::uuid[])',
        [[moved, folded, stayed, waiting]],
      );
      expect(Object.fromEntries(remembered.rows.map((row) => [row.dispute_id, row.division_code]))).toEqual({
        [moved]: xicheng,
        [folded]: tieshan,
        [stayed]: xiayang,
        [waiting]: null,
      });
    });
  },
);
