import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disputeIdFor } from '@huijie/contracts/ids.ts';
import { embeddedInfrastructure } from '@huijie/standalone/platform.ts';
import { describe, expect, it } from 'vitest';
import { readyPlatform } from './infrastructure.ts';
import { signedPush } from './signed-push.ts';

/** `npm start`, Ctrl-C, `npm start` again on the same ./data: what the hotline was told before still holds. */
describe('standalone mode restarted on its data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'huijie-restart-'));
  const order = {
    orderNo: `YANG-${Date.now()}-restart`,
    receivedAt: '2024-06-01T10:00:00+08:00',
    content: '法院判决胡某赔偿我损失，胡某在法庭上拒不履行，至今不给赔偿款，请政府帮忙。',
    caller: { name: '杨某', phone: '13900000003' },
    location: { address: '龙岩市永定区下洋镇中川村' },
    category: { name: '司法-涉法涉诉' },
  };
  const start = async () =>
    readyPlatform(await embeddedInfrastructure(dataDir), join(dataDir, 'notify-outbox.jsonl'));

  it('a 催办 on an order pushed before the restart is its next revision and re-routes the case; a WeChat application is still found', async () => {
    const before = await start();
    const first = await signedPush(before.app('ingest-12345'), '/v1/work-orders', order);
    expect(first.json()).toMatchObject({ duplicate: false, revision: 1 });
    const { disputeId } = first.json();
    await before.caseOf(disputeId, (detail) => detail.routingVersion === 1, 'routed before the restart');
    // Guo applies on WeChat and keeps his tracking number.
    const applied = await before.app('ingest-wechat').inject({
      method: 'POST',
      url: '/v1/applications',
      payload: {
        submissionId: randomUUID(),
        townCode: '350802107',
        address: '江山镇水库大坝',
        applicant: { name: '郭某', phone: '13800001234' },
        respondent: { kind: 'person', name: '包工头' },
        description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
        agreed: true,
      },
    });
    expect(applied.statusCode).toBe(202);
    const { trackingNo } = applied.json();
    await before.caseOf(
      disputeIdFor('wechat', trackingNo),
      (detail) => detail.status === 'assigned',
      'the application assigned before the restart',
    );
    await before.close();

    const after = await start();
    try {
      // The hotline retries its push, unanswered before the stop: the same order, nothing new.
      const retried = await signedPush(after.app('ingest-12345'), '/v1/work-orders', order);
      expect(retried.json()).toEqual({ disputeId, duplicate: true, revision: 1 });
      // Yang calls again: the hotline presses the same order.
      const pressed = await signedPush(after.app('ingest-12345'), '/v1/work-orders', {
        ...order,
        reminder: { count: 1 },
      });
      expect(pressed.json()).toMatchObject({ disputeId, duplicate: false, revision: 2 });
      const rerouted = await after.caseOf(
        disputeId,
        (detail) => detail.routingVersion === 2,
        'routed again after the 催办',
      );
      expect(rerouted.severity).toBe('major');
      expect(rerouted.history.map((h: { type: string }) => h.type)).toContain('reminder');
      // Guo looks his application up after the restart: found, with the status it had.
      const tracked = await after.app('ingest-wechat').inject({
        method: 'POST',
        url: '/v1/applications/lookup',
        payload: { trackingNo, phoneLast4: '1234' },
      });
      expect(tracked.statusCode).toBe(200);
      expect(tracked.json()).toMatchObject({ trackingNo, status: 'assigned' });
    } finally {
      await after.close();
    }
  });
});
