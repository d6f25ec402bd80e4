import { randomUUID } from 'node:crypto';
import { buildCasesApp } from '@huijie/cases/app.ts';
import { caseIdFor } from '@huijie/cases/consumers/open-case.ts';
import { recordAssignment, recordIntake } from '@huijie/cases/consumers/record-events.ts';
import { decisionFor } from '@huijie/cases/consumers/routed-case-fixtures.ts';
import { freshCasesDb } from '@huijie/cases/db/fresh-cases-db.ts';
import { buildNotifyApp } from '@huijie/notify/app.ts';
import { freshNotifyDb } from '@huijie/notify/db/fresh-notify-db.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { requireServers } from '@huijie/testing/servers.ts';
import { describe, expect, it } from 'vitest';

const servers = await requireServers('postgres');
const logger = createLogger({ service: 'test', level: 'silent' });
/** Never started: /metrics is read from the registry, the consumers and relays are not needed. */
const bus = {} as never;

describe.runIf(servers)('/metrics shows a stuck pipeline: the backlogs in the database', () => {
  it('cases: outbox events not yet published, and how old the oldest is', async () => {
    const { db, drop } = await freshCasesDb(servers!.databaseUrl!);
    try {
      const metrics = createMetrics('cases');
      buildCasesApp({ jwtSecret: 'x'.repeat(32) }, { db, bus, logger, metrics });
      const event = (createdAt: Date, publishedAt: Date | null) => ({
        eventId: randomUUID(),
        eventName: 'case.status.v1',
        topic: 'case.status.v1',
        key: randomUUID(),
        data: {},
        createdAt,
        publishedAt,
      });
      const tenMinutesAgo = new Date(Date.now() - 600_000);
      await db.outboxEvent.createMany({
        data: [event(tenMinutesAgo, null), event(new Date(), null), event(tenMinutesAgo, new Date())],
      });
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^huijie_outbox_unpublished\{service="cases"\} 2$/m);
      const age = Number(
        /^huijie_outbox_oldest_unpublished_age_seconds\{service="cases"\} (\S+)$/m.exec(text)?.[1],
      );
      expect(age).toBeGreaterThanOrEqual(599);
      expect(age).toBeLessThan(700);
    } finally {
      await drop();
    }
  });

  it('cases: how long the oldest case has waited for routing, from its arrival (an imported record was received years ago), gone once routed', async () => {
    const { db, drop } = await freshCasesDb(servers!.databaseUrl!);
    try {
      const metrics = createMetrics('cases');
      buildCasesApp({ jwtSecret: 'x'.repeat(32) }, { db, bus, logger, metrics });
      const unroutedAge = async () =>
        Number(
          /^huijie_cases_oldest_unrouted_age_seconds\{service="cases"\} (\S+)$/m.exec(
            await metrics.registry.metrics(),
          )?.[1],
        );
      expect(await unroutedAge()).toBe(0);
      // A record of 2023 imported ten minutes ago (its case is dated 2023); routing has stopped.
      const dispute = {
        historical: {},
        disputeId: randomUUID(),
        channel: 'hotline_12345' as const,
        sourceRef: `GD-${randomUUID()}`,
        revision: 1,
        receivedAt: '2023-05-06T09:30:00+08:00',
        content: '老板拖欠工资',
        location: { divisionCode: '350802107' },
        parties: [],
        attachments: [],
      };
      await recordIntake(db, dispute);
      await db.report.update({
        where: { disputeId: dispute.disputeId },
        data: { createdAt: new Date(Date.now() - 600_000) },
      });
      const caseId = caseIdFor(dispute.disputeId);
      expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).createdAt.getFullYear()).toBe(2023);
      const age = await unroutedAge();
      expect(age).toBeGreaterThanOrEqual(599);
      expect(age).toBeLessThan(700);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await unroutedAge()).toBeGreaterThan(age + 1);
      // Routing's first decision: the case is assigned, and nothing waits.
      await recordAssignment(db, decisionFor(dispute));
      expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).status).toBe('assigned');
      expect(await unroutedAge()).toBe(0);
    } finally {
      await drop();
    }
  });

  it('notify: deliveries pending, sending and dead-lettered, and how long the oldest due one waits', async () => {
    const { db, drop } = await freshNotifyDb(servers!.databaseUrl!);
    try {
      const metrics = createMetrics('notify');
      buildNotifyApp({ jwtSecret: 'x'.repeat(32), webhooks: new Map() } as never, {
        db,
        bus,
        logger,
        metrics,
      });
      const delivery = (state: string, nextAttemptAt: Date) => ({
        dedupeKey: randomUUID(),
        kind: 'assignment',
        channel: 'outbox',
        recipient: '350802107-judicial_office',
        payload: {},
        state,
        nextAttemptAt,
      });
      const hour = 3600_000;
      await db.delivery.createMany({
        data: [
          delivery('pending', new Date(Date.now() - hour)),
          delivery('pending', new Date(Date.now() + hour)),
          delivery('failed', new Date()),
          delivery('delivered', new Date()),
        ],
      });
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^huijie_notify_deliveries\{state="pending",service="notify"\} 2$/m);
      expect(text).toMatch(/^huijie_notify_deliveries\{state="sending",service="notify"\} 0$/m);
      expect(text).toMatch(/^huijie_notify_deliveries\{state="failed",service="notify"\} 1$/m);
      const age = Number(
        /^huijie_notify_oldest_due_pending_age_seconds\{service="notify"\} (\S+)$/m.exec(text)?.[1],
      );
      expect(age).toBeGreaterThanOrEqual(3599);
      expect(age).toBeLessThan(3700);
    } finally {
      await drop();
    }
  });
});
