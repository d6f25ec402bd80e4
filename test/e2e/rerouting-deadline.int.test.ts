import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgencyAssignmentV1 } from '@huijie/contracts/events/agency-assignment-v1.ts';
import { agencyTopic } from '@huijie/contracts/topics.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

describe.runIf(servers)('a re-routing that keeps the lead, on Kafka + PostgreSQL + Redis', () => {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  let infra: Awaited<ReturnType<typeof kafkaInfrastructure>>;
  beforeAll(async () => {
    infra = await kafkaInfrastructure(servers!);
    platform = await readyPlatform(infra, join(mkdtempSync(join(tmpdir(), 'rerouting-')), 'o.jsonl'));
  });
  afterAll(() => platform?.close());
  // No phone number, ID number or name the test pushed may reach a log line.
  afterEach(() => platform?.logs.assertClean(['林某']));

  it('a 催办 gives the lead no more time: its agency topic, the case and its webhook all carry the earlier deadline', async () => {
    const { app } = platform;
    const order = {
      orderNo: `CUIBAN-${Date.now()}`,
      receivedAt: new Date().toISOString(),
      content: '邻居在楼道堆放杂物，多次沟通无果',
      caller: { name: '林某', phone: `1370000${String(Date.now() % 10_000).padStart(4, '0')}` },
      location: { address: '新罗区江山镇' },
    };
    const first = await signedPush(app('ingest-12345'), '/v1/work-orders', order);
    const { disputeId } = first.json();
    const routed = await platform.caseOf(disputeId, (c) => c.routingVersion === 1, 'routing version 1');
    const lead = routed.assignments.find((a: { role: string }) => a.role === 'lead');

    // The hotline presses the same order (催办): routed again, a little later, to the same lead.
    const again = await signedPush(app('ingest-12345'), '/v1/work-orders', {
      ...order,
      reminder: { count: 1 },
    });
    expect(again.json()).toMatchObject({ disputeId, revision: 2 });
    const rerouted = await platform.caseOf(disputeId, (c) => c.routingVersion === 2, 'routing version 2');
    const keptLead = rerouted.assignments.find((a: { role: string }) => a.role === 'lead');
    expect(keptLead.departmentCode).toBe(lead.departmentCode);
    // The case keeps the deadline its lead already worked to.
    expect(rerouted.dueAt).toBe(routed.dueAt);
    expect(keptLead.dueAt).toBe(routed.dueAt);

    // What the lead reads on its own Kafka topic is what the case holds.
    const copies: AgencyAssignmentV1[] = [];
    const reader = await infra.engine.consume(
      uniqueName('agency'),
      [agencyTopic(lead.departmentCode)],
      async (message) => {
        if (message.key === disputeId) copies.push(JSON.parse(message.value.toString()));
      },
    );
    const copy = await eventually(() => copies.find((c) => c.version === 2), {
      what: "the lead's copy of routing version 2",
      timeoutMs: 30_000,
    });
    await reader.stop();
    expect(copy).toMatchObject({ action: 'assigned', role: 'lead' });
    expect(new Date(copy.dueAt).toISOString()).toBe(rerouted.dueAt);

    // And so is what notify's webhook gives it for that version.
    const webhook = await eventually(
      () =>
        infra.notifyDb.delivery.findFirst({
          where: {
            disputeId,
            version: 2,
            recipient: lead.departmentCode,
            kind: { in: ['assignment', 'assignment_update'] },
          },
        }),
      { what: "the lead's webhook of routing version 2", timeoutMs: 30_000 },
    );
    expect(new Date((webhook.payload as { dueAt: string }).dueAt).toISOString()).toBe(rerouted.dueAt);
  });
});
