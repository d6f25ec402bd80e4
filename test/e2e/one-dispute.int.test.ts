import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedInfrastructure, type Infrastructure } from '@huijie/standalone/platform.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');
const tempDir = () => mkdtempSync(join(tmpdir(), 'huijie-e2e-'));

/** Guo's story from MISSION.md, pushed as a 12345 work order. */
const guo = {
  orderNo: `GD-${Date.now()}`,
  receivedAt: '2024-08-24T09:30:00+08:00',
  content: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
  caller: { name: '郭某', phone: '13800000000' },
  location: { address: '福建省龙岩市新罗区江山镇' },
  category: { name: '劳动保障-欠薪' },
};

function oneDispute(label: string, open: () => Promise<Infrastructure>) {
  describe(`one dispute from push to case: ${label}`, () => {
    let infra: Infrastructure;
    let platform: Awaited<ReturnType<typeof readyPlatform>>;
    beforeAll(async () => {
      infra = await open();
      platform = await readyPlatform(infra, join(tempDir(), 'outbox.jsonl'));
    });
    afterAll(() => platform?.close());
    // No phone number, ID number or name the test pushed may reach a log line.
    afterEach(() => platform?.logs.assertClean([guo.caller.name]));

    it('a signed work order becomes one assigned case with its history and one delivery to the lead', async () => {
      const { app, auth } = platform;
      const first = await signedPush(app('ingest-12345'), '/v1/work-orders', guo);
      expect(first.statusCode).toBe(202);
      const { disputeId } = first.json();
      const again = await signedPush(app('ingest-12345'), '/v1/work-orders', guo);
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ disputeId, duplicate: true, revision: 1 });

      const { caseId } = await eventually<{ caseId: string }>(
        async () => {
          const response = await app('cases').inject({ url: `/v1/disputes/${disputeId}`, headers: auth });
          return response.statusCode === 200 ? response.json() : undefined;
        },
        { what: 'the case', timeoutMs: 30_000 },
      );
      const detail = await eventually(
        async () => {
          const body = (await app('cases').inject({ url: `/v1/cases/${caseId}`, headers: auth })).json();
          return body.status === 'assigned' ? body : undefined;
        },
        { what: 'the assignment', timeoutMs: 30_000 },
      );
      expect(detail.jurisdiction).toMatchObject({
        cityCode: '350800',
        countyCode: '350802',
        townCode: '350802107',
      });
      expect(detail.category).toBe('labor');
      expect(detail.reports).toHaveLength(1);
      expect(detail.reports[0]).toMatchObject({ disputeId, sourceRef: guo.orderNo });
      const lead = detail.assignments.find((a: { role: string }) => a.role === 'lead');
      expect(lead).toMatchObject({ departmentKind: 'judicial_office', departmentName: '江山镇司法所' });
      expect(detail.history.map((entry: { type: string }) => entry.type)).toEqual(['received', 'assigned']);

      const deliveries = await eventually(
        async () => {
          const body = (
            await app('notify').inject({ url: `/v1/deliveries?disputeId=${disputeId}`, headers: auth })
          ).json();
          const toLead = body.items.filter((d: { recipient: string }) => d.recipient === lead.departmentCode);
          return toLead.length === 1 && toLead[0].state === 'delivered' ? body.items : undefined;
        },
        { what: 'the delivery to the lead', timeoutMs: 30_000 },
      );
      expect(
        deliveries.filter((d: { recipient: string }) => d.recipient === lead.departmentCode),
      ).toHaveLength(1);

      // The duplicate push wrote nothing: exactly one intake event exists for the order.
      const seen: string[] = [];
      const reader = await infra.engine.consume(
        uniqueName('count'),
        ['dispute.intake.v1'],
        async (message) => {
          seen.push(message.key);
        },
      );
      await eventually(() => seen.length >= 1, { what: 'the intake event' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await reader.stop();
      expect(seen.filter((key) => key === disputeId)).toHaveLength(1);
    });
  });
}

describe.runIf(servers)('on Kafka + PostgreSQL + Redis', () => {
  oneDispute('Kafka', () => kafkaInfrastructure(servers!));
});

describe('on the embedded engines (standalone mode)', () => {
  oneDispute('embedded', () => embeddedInfrastructure(tempDir()));
});
