import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvRecords, importRecords } from '@huijie/cases/bulk/import-records.ts';
import { sweepOverdue } from '@huijie/cases/sla/sla-sweeper.ts';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

/**
 * The 218,000 records gathered before the platform existed are imported through the intake
 * contract: routing places them and cases files them — on the day they were received, ended
 * as the records say, with no deadline running and no agency, citizen or secretary told.
 */
describe.runIf(servers)(
  'historical records imported through dispute.intake.v1, on Kafka + PostgreSQL',
  () => {
    let platform: Awaited<ReturnType<typeof readyPlatform>>;
    let infra: Awaited<ReturnType<typeof kafkaInfrastructure>>;
    beforeAll(async () => {
      infra = await kafkaInfrastructure(servers!);
      platform = await readyPlatform(infra, join(mkdtempSync(join(tmpdir(), 'historical-')), 'o.jsonl'));
    });
    afterAll(() => platform?.close());
    // No phone number, ID number or name the test pushed may reach a log line.
    afterEach(() => platform?.logs.assertClean(['郭某', '李某']));

    const csv = [
      'channel,source_ref,received_at,content,division_code,applicant_name,applicant_phone,outcome,ended_at,outcome_summary,outcome_amount',
      '微信,WX-2024-0824,2024-08-24 09:30,"在江山镇修水库大坝干了19天，老板一直不给工资，共3800元",350802107,郭某,13800000000,调解成功,2024-08-26 16:00,老板当场支付工资,3800',
      '12345,GD-2024-0901,2024-09-01 10:00,"邻居装修噪音扰民，多次沟通无果",350802107,,,调解不成功,2024-09-20,,',
      '12345,GD-2024-0115,2024-01-15 08:00,"三十多名工人聚集在工地门口讨要工资",350802107,,,,,,',
    ].join('\n');
    const ids = {
      mediated: disputeIdFor('wechat', 'WX-2024-0824'),
      notMediated: disputeIdFor('hotline_12345', 'GD-2024-0901'),
      open: disputeIdFor('hotline_12345', 'GD-2024-0115'),
    };

    it('files each case on the day it was received, ends it as recorded, starts no clock and tells nobody', {
      timeout: 90_000,
    }, async () => {
      const bus = createEventBus(infra.engine, { source: '/test/historical-import' });
      const summary = await importRecords(
        csvRecords(
          (async function* () {
            yield csv;
          })(),
        ),
        { publish: (events) => bus.publish(events) },
      );
      expect(summary).toMatchObject({ records: 3, published: 3, rejected: 0 });

      const mediated = await platform.caseOf(
        ids.mediated,
        (c) => c.status === 'closed',
        'the mediated record',
      );
      expect(mediated.createdAt).toBe('2024-08-24T01:30:00.000Z');
      expect(mediated.outcome).toMatchObject({ kind: 'mediated', amount: 3800 });
      expect(mediated.dueAt).toBeNull();
      expect(mediated.assignments.find((a: { role: string }) => a.role === 'lead')).toMatchObject({
        departmentName: '江山镇司法所',
        status: 'done',
      });
      expect(mediated.history.map((entry: { type: string }) => entry.type)).toEqual([
        'received',
        'assigned',
        'resolved',
        'closed',
      ]);

      const notMediated = await platform.caseOf(
        ids.notMediated,
        (c) => c.status === 'closed',
        'the failed one',
      );
      expect(notMediated.outcome).toMatchObject({ kind: 'not_mediated' });

      // A record without an outcome is still open: filed in the express lane it would have entered, no deadline.
      const open = await platform.caseOf(ids.open, (c) => c.status === 'assigned', 'the open record');
      expect(open).toMatchObject({ severity: 'major', dueAt: null, createdAt: '2024-01-15T00:00:00.000Z' });
      expect(open.expressLevel).not.toBeNull();
      // Two years on, the SLA sweep finds nothing to remind or escalate.
      expect(await sweepOverdue(infra.casesDb, new Date(), 60 * 60 * 1000)).toBe(0);

      // Nobody was told: no case event left the cases service, and once a live report pushed after
      // the import has reached its mediator, no delivery exists for any imported record.
      const caseIds = [mediated.caseId, notMediated.caseId, open.caseId];
      expect(await infra.casesDb.outboxEvent.count({ where: { key: { in: caseIds } } })).toBe(0);
      const live = await signedPush(platform.app('ingest-12345'), '/v1/work-orders', {
        orderNo: `GD-LIVE-${Date.now()}`,
        receivedAt: new Date().toISOString(),
        content: '在江山镇工地干活，老板拖欠工资5000元',
        caller: { name: '李某', phone: '13900000001' },
        location: { divisionCode: '350802107' },
      });
      expect(live.statusCode, live.body).toBe(202);
      await eventually(
        async () =>
          (await infra.notifyDb.delivery.count({ where: { disputeId: live.json().disputeId } })) > 0,
        { what: 'the live report delivered', timeoutMs: 30_000 },
      );
      const deliveries = await infra.notifyDb.delivery.count({
        where: { disputeId: { in: Object.values(ids) } },
      });
      expect(deliveries).toBe(0);

      // The statistics of August–September 2024 count them where and when they happened.
      const stats = await platform.app('cases').inject({
        url: '/v1/stats/overview?place=350802107&from=2024-08-01&to=2024-09-30',
        headers: platform.auth,
      });
      expect(stats.statusCode).toBe(200);
      expect(stats.json().current).toMatchObject({
        received: 2,
        ended: 2,
        mediated: 1,
        notMediated: 1,
        successRate: 0.5,
      });
    });
  },
);
