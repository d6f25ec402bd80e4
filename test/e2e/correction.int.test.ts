import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

describe.runIf(servers)('operators reshape cases, on Kafka + PostgreSQL + Redis', () => {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  beforeAll(async () => {
    platform = await readyPlatform(
      await kafkaInfrastructure(servers!),
      join(mkdtempSync(join(tmpdir(), 'huijie-')), 'o.jsonl'),
    );
  });
  afterAll(() => platform?.close());
  // No phone number, ID number or name the test pushed may reach a log line.
  afterEach(() => platform?.logs.assertClean([]));

  async function pushAndWait(body: object) {
    const { app } = platform;
    const { disputeId } = (await signedPush(app('ingest-12345'), '/v1/work-orders', body)).json();
    return {
      disputeId,
      ...(await platform.caseOf(disputeId, (c) => c.status === 'assigned', 'the case assigned')),
    };
  }

  it('a corrected place re-routes the case: new departments, the old ones withdrawn, a new routing version', async () => {
    const { app, auth } = platform;
    const before = await pushAndWait({
      orderNo: `FIX-${Date.now()}`,
      receivedAt: '2024-08-24T09:30:00+08:00',
      content: '邻居在楼道堆放杂物，多次沟通无果',
      caller: { phone: '13700000011' },
      location: { address: '新罗区江山镇' },
    });
    const corrected = await app('cases').inject({
      method: 'POST',
      url: `/v1/cases/${before.caseId}/correct`,
      headers: auth,
      payload: { divisionCode: '350803104', reason: '来电人说明实际在永定区下洋镇' },
    });
    expect(corrected.json()).toEqual({ caseId: before.caseId, status: 'rerouting' });
    const after = await eventually(
      async () => {
        const detail = (
          await app('cases').inject({ url: `/v1/cases/${before.caseId}`, headers: auth })
        ).json();
        return detail.routingVersion === 2 ? detail : undefined;
      },
      { what: 'the re-routing', timeoutMs: 30_000 },
    );
    expect(after.jurisdiction).toMatchObject({ countyCode: '350803', townCode: '350803104' });
    const byStatus = (status: string) =>
      after.assignments
        .filter((a: { status: string }) => a.status === status)
        .map((a: { divisionCode: string }) => a.divisionCode);
    expect(byStatus('delivered').every((code: string) => code.startsWith('350803'))).toBe(true);
    expect(byStatus('withdrawn').length).toBeGreaterThan(0);
    expect(byStatus('withdrawn').every((code: string) => code.startsWith('350802'))).toBe(true);
    expect(after.history.map((h: { type: string }) => h.type)).toEqual([
      'received',
      'assigned',
      'corrected',
      'assigned',
    ]);
  });

  it('an operator merges two cases about one matter, and detaches a report again', async () => {
    const { app, auth } = platform;
    const a = await pushAndWait({
      orderNo: `M1-${Date.now()}`,
      receivedAt: '2024-08-24T09:30:00+08:00',
      content: '装修公司收了定金不开工',
      caller: { phone: '13700000021' },
      location: { address: '上杭县临城镇' },
    });
    const b = await pushAndWait({
      orderNo: `M2-${Date.now()}`,
      receivedAt: '2024-08-25T09:30:00+08:00',
      content: '我老婆反映过的装修定金问题',
      caller: { phone: '13700000022' },
      location: { address: '上杭县临城镇' },
    });
    const merged = await app('cases').inject({
      method: 'POST',
      url: `/v1/cases/${b.caseId}/merge`,
      headers: auth,
      payload: { intoCaseId: a.caseId, reason: '同一户人家的同一件事' },
    });
    expect(merged.statusCode).toBe(200);
    const into = (await app('cases').inject({ url: `/v1/cases/${a.caseId}`, headers: auth })).json();
    expect(into.reports.map((r: { disputeId: string }) => r.disputeId)).toEqual([a.disputeId, b.disputeId]);
    // The merged case reads as merged, pointing at the case that carries on, and takes no action.
    const gone = (await app('cases').inject({ url: `/v1/cases/${b.caseId}`, headers: auth })).json();
    expect(gone).toMatchObject({ status: 'closed', mergedInto: a.caseId, reports: [], allowedActions: [] });

    const detached = await app('cases').inject({
      method: 'POST',
      url: `/v1/cases/${a.caseId}/detach`,
      headers: auth,
      payload: { disputeId: b.disputeId, reason: '核实后不是同一件事' },
    });
    expect(detached.statusCode).toBe(200);
    // A case of its own, which routing decides on as another matter: its own report's place, a
    // version past the case it left's.
    const own = await eventually(
      async () => {
        const detail = (
          await app('cases').inject({ url: `/v1/cases/${detached.json().newCaseId}`, headers: auth })
        ).json();
        return detail.routingVersion === 2 ? detail : undefined;
      },
      { what: 'the detached report routed', timeoutMs: 30_000 },
    );
    expect(own).toMatchObject({
      status: 'assigned',
      reports: [expect.objectContaining({ disputeId: b.disputeId })],
    });
    expect(own.jurisdiction).toMatchObject({ countyCode: '350823' });
    expect(own.history.map((h: { type: string }) => h.type)).toEqual(['detached_from', 'assigned']);
    const after = (await app('cases').inject({ url: `/v1/cases/${a.caseId}`, headers: auth })).json();
    expect(after.reports).toHaveLength(1);
    expect(after.history.map((h: { type: string }) => h.type)).toEqual([
      'received',
      'assigned',
      'repeat_attached',
      'detached',
    ]);
  });
});
