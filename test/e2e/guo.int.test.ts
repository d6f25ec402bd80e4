import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { eventually, requireServers } from '@huijie/testing/servers.ts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kafkaInfrastructure, readyPlatform } from './infrastructure.ts';

const servers = await requireServers('kafka', 'postgres', 'redis');

/**
 * Guo's story (MISSION.md): on the WeChat form he applies for mediation over 19 days of unpaid
 * work on a reservoir dam in Jiangshan town; the local mediator takes it at once; the boss
 * agrees to pay 3,800 yuan; the outcome is recorded and counted.
 */
describe.runIf(servers)("Guo's WeChat application, on Kafka + PostgreSQL + Redis", () => {
  let platform: Awaited<ReturnType<typeof readyPlatform>>;
  beforeAll(async () => {
    platform = await readyPlatform(
      await kafkaInfrastructure(servers!),
      join(mkdtempSync(join(tmpdir(), 'guo-')), 'o.jsonl'),
    );
  });
  afterAll(() => platform?.close());
  // No phone number, ID number or name the test pushed may reach a log line.
  afterEach(() => platform?.logs.assertClean(['郭某', '包工头']));

  it('a WeChat application goes to the local mediator, is resolved with 3,800 yuan, and counts in the success rate', async () => {
    const { app, auth } = platform;
    const phone = `139${String(Date.now()).slice(-8)}`;
    const before = (
      await app('cases').inject({ url: '/v1/stats/overview?place=350802107', headers: auth })
    ).json();

    const applied = await app('ingest-wechat').inject({
      method: 'POST',
      url: '/v1/applications',
      payload: {
        submissionId: randomUUID(),
        townCode: '350802107',
        address: '江山镇水库大坝',
        applicant: { name: '郭某', phone },
        respondent: { kind: 'person', name: '包工头' },
        description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
        amountClaimed: 3800,
        agreed: true,
      },
    });
    expect(applied.statusCode).toBe(202);
    const disputeId = disputeIdFor('wechat', applied.json().trackingNo);

    const assigned = await platform.caseOf(
      disputeId,
      (c) => c.status === 'assigned',
      'the case at the local mediator',
    );
    expect(assigned.channel).toBe('wechat');
    expect(assigned.jurisdiction.townCode).toBe('350802107');
    expect(assigned.assignments.find((a: { role: string }) => a.role === 'lead')).toMatchObject({
      departmentName: '江山镇司法所',
      departmentKind: 'judicial_office',
    });

    const act = (action: string, payload: object = {}) =>
      app('cases').inject({
        method: 'POST',
        url: `/v1/cases/${assigned.caseId}/${action}`,
        headers: auth,
        payload,
      });
    expect((await act('accept')).statusCode).toBe(200);
    expect((await act('progress', { note: '联系了包工头，同意调解' })).statusCode).toBe(200);
    const resolved = await act('outcome', {
      kind: 'mediated',
      summary: '包工头同意支付全部工资',
      amount: 3800,
    });
    expect(resolved.json().status).toBe('resolved');

    const detail = (await app('cases').inject({ url: `/v1/cases/${assigned.caseId}`, headers: auth })).json();
    expect(detail.outcome).toEqual({ kind: 'mediated', summary: '包工头同意支付全部工资', amount: 3800 });
    const after = (
      await app('cases').inject({ url: '/v1/stats/overview?place=350802107', headers: auth })
    ).json();
    expect(after.current.mediated).toBe((before.current.mediated ?? 0) + 1);
    expect(after.current.successRate).toBeGreaterThan(0);

    // Guo follows it on his phone with the last four digits of his number.
    const tracked = await eventually<{ trackingNo: string }>(
      async () => {
        const track = await app('ingest-wechat').inject({
          method: 'POST',
          url: '/v1/applications/lookup',
          payload: { trackingNo: applied.json().trackingNo, phoneLast4: phone.slice(-4) },
        });
        return track.statusCode === 200 && track.json().status === 'resolved' ? track.json() : undefined;
      },
      { what: 'the application to show the result', timeoutMs: 30_000 },
    );
    expect(tracked.trackingNo).toBe(applied.json().trackingNo);
  });
});
