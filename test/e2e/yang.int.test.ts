import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

/**
 * Yang's story (MISSION.md): Hu refused in court to pay the compensation; Yang reported it to
 * the 12345 hotline again and again. One matter, one case, handled jointly in Yongding district.
 */
const report = (n: number) => ({
  orderNo: `YANG-${Date.now()}-${n}`,
  receivedAt: `2024-06-0${n}T10:00:00+08:00`,
  content: `${['', '', '第二次反映：', '第三次反映：'][n]}法院判决胡某赔偿我损失，胡某在法庭上拒不履行，至今不给赔偿款，请政府帮忙。`,
  caller: { name: '杨某', phone: '13900000001' },
  location: { address: '龙岩市永定区下洋镇中川村' },
  category: { name: '司法-涉法涉诉' },
});

describe.runIf(servers)("Yang's repeated reports on Kafka + PostgreSQL + Redis", () => {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  beforeAll(async () => {
    platform = await readyPlatform(
      await kafkaInfrastructure(servers!),
      join(mkdtempSync(join(tmpdir(), 'huijie-yang-')), 'outbox.jsonl'),
    );
  });
  afterAll(() => platform?.close());
  // No phone number, ID number or name the test pushed may reach a log line.
  afterEach(() => platform?.logs.assertClean(['杨某', '胡某']));

  it('a 催办 on the same work order re-routes the case: the public security bureau leads, jointly, in the express lane', async () => {
    const { app } = platform;
    // Another phone than the other test's, or its reports would join this case as repeats.
    const order = {
      ...report(1),
      orderNo: `YANG-${Date.now()}-cuiban`,
      caller: { name: '杨某', phone: '13900000002' },
    };
    const routedAt = (disputeId: string, version: number) =>
      platform.caseOf(disputeId, (detail) => detail.routingVersion === version, `routing version ${version}`);
    const first = await signedPush(app('ingest-12345'), '/v1/work-orders', order);
    expect(first.json()).toMatchObject({ revision: 1 });
    const { disputeId } = first.json();
    const routed = await routedAt(disputeId, 1);
    expect(routed.severity).toBe('normal');
    expect(routed.assignments.find((a: { role: string }) => a.role === 'lead').departmentName).toBe(
      '下洋镇司法所',
    );

    // Yang calls again: the hotline presses the same order (催办), as its next revision.
    const again = await signedPush(app('ingest-12345'), '/v1/work-orders', {
      ...order,
      reminder: { count: 1 },
    });
    expect(again.json()).toMatchObject({ disputeId, revision: 2 });
    const rerouted = await routedAt(disputeId, 2);
    expect(rerouted.severity).toBe('major');
    const live = rerouted.assignments.filter((a: { status: string }) => a.status !== 'withdrawn');
    expect(live.find((a: { role: string }) => a.role === 'lead').departmentName).toBe('永定区公安局');
    expect(live.map((a: { departmentName: string }) => a.departmentName)).toEqual(
      expect.arrayContaining(['永定区人民法院', '下洋镇司法所', '下洋派出所']),
    );
    expect(rerouted.expressLane).not.toBeNull();
    expect(rerouted.history.map((h: { type: string }) => h.type)).toContain('reminder');
  });

  it('three 12345 reports become one case with three reports, joint assignments, in the express lane', async () => {
    const { app, auth } = platform;
    const disputeIds: string[] = [];
    for (const n of [1, 2, 3]) {
      const pushed = await signedPush(app('ingest-12345'), '/v1/work-orders', report(n));
      expect(pushed.statusCode).toBe(202);
      disputeIds.push(pushed.json().disputeId);
      // Each report is routed before the next arrives, as hours or days apart on the hotline.
      await eventually(
        async () => {
          const found = await app('cases').inject({
            url: `/v1/disputes/${pushed.json().disputeId}`,
            headers: auth,
          });
          if (found.statusCode !== 200) return undefined;
          const detail = (
            await app('cases').inject({ url: `/v1/cases/${found.json().caseId}`, headers: auth })
          ).json();
          return detail.reports?.some(
            (r: { disputeId: string }) => r.disputeId === pushed.json().disputeId,
          ) && detail.status !== 'received'
            ? detail
            : undefined;
        },
        { what: `report ${n} routed`, timeoutMs: 30_000 },
      );
    }
    const caseIds = await Promise.all(
      disputeIds.map(
        async (id) => (await app('cases').inject({ url: `/v1/disputes/${id}`, headers: auth })).json().caseId,
      ),
    );
    expect(new Set(caseIds).size).toBe(1);
    const detail = (await app('cases').inject({ url: `/v1/cases/${caseIds[0]}`, headers: auth })).json();
    expect(detail.reports.map((r: { disputeId: string }) => r.disputeId)).toEqual(disputeIds);
    expect(detail.repeatCount).toBe(2);
    expect(detail.jurisdiction).toMatchObject({
      countyCode: '350803',
      names: ['龙岩市', '永定区', '下洋镇', '中川村'],
    });
    const lead = detail.assignments.find((a: { role: string }) => a.role === 'lead');
    expect(lead.departmentName).toBe('永定区公安局');
    const co = detail.assignments
      .filter((a: { role: string }) => a.role === 'co')
      .map((a: { departmentName: string }) => a.departmentName);
    expect(co).toEqual(expect.arrayContaining(['永定区人民法院', '下洋镇司法所', '下洋派出所']));
    expect(detail.severity).toBe('major');
    expect(detail.expressLane).not.toBeNull();
    expect(detail.history.filter((h: { type: string }) => h.type === 'repeat_attached')).toHaveLength(2);
  });
});
