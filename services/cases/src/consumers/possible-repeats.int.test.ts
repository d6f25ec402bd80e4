import { randomUUID } from 'node:crypto';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshCasesDb } from '../db/fresh-cases-db.ts';
import type { CasesDb } from '../db/prisma.ts';
import { possibleRepeats } from './fold-case.ts';
import { recordEvents } from './record-events.ts';

const servers = await requireServers('postgres');

const phoneOf = (i: number) => `137${String(i).padStart(8, '0')}`;

function intake(i: number): DisputeReceivedV1 {
  return {
    disputeId: randomUUID(),
    channel: 'hotline_12345',
    sourceRef: `GD-${randomUUID()}`,
    revision: 1,
    receivedAt: new Date().toISOString(),
    content: '老板拖欠工资',
    location: { address: '新罗区江山镇' },
    parties: [{ role: 'caller', kind: 'person', name: '郭某', phone: phoneOf(i) }],
    attachments: [],
  };
}

// A backfill starts on a new database: autovacuum has not analysed its tables yet while thousands
// of cases come in, and each batch of routed reports is checked for repeats.
describe.runIf(servers)('possible repeats on a database that is filling up', () => {
  const openCases = 3_000;
  let db: CasesDb;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await freshCasesDb(servers!.databaseUrl!));
    const disputes = Array.from({ length: openCases }, (_, i) => intake(i));
    for (let i = 0; i < disputes.length; i += 500) {
      await recordEvents(
        db,
        disputes.slice(i, i + 500).map((data) => ({ name: 'dispute.intake.v1' as const, data })),
      );
    }
  }, 60_000);
  afterAll(async () => {
    await drop?.();
  });

  it("a batch's check reads its callers' own cases, not every open case, and finds the one repeat", async () => {
    const batch = Array.from({ length: 20 }, (_, i) => ({
      caseId: randomUUID(),
      phones: [phoneOf(i === 0 ? 0 : openCases + i)],
    }));
    const { suspects, casesRead } = await db.$transaction(async (tx) => {
      // Rows of the cases table read by this backend; counted before and after, since what earlier
      // transactions on the same pooled connection read may not have been flushed from it yet.
      const readSoFar = async () => {
        const [row] = await tx.$queryRaw<{ rows: number }[]>`
          SELECT (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int AS rows
          FROM pg_stat_xact_user_tables WHERE schemaname = 'cases' AND relname = 'cases'`;
        return row?.rows ?? 0;
      };
      const before = await readSoFar();
      const suspects = await possibleRepeats(tx, batch, new Date());
      return { suspects, casesRead: (await readSoFar()) - before };
    });
    // The caller of the first case calls again: that report alone may repeat an open case.
    expect([...suspects]).toEqual([batch[0]!.caseId]);
    // Walking the open cases instead would read all 3,000 of them for every batch.
    expect(casesRead).toBeLessThan(100);
  });
});
