import { randomUUID } from 'node:crypto';
import { dlqHeaders, toHeaders } from '@huijie/contracts/cloudevents.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { describe, expect, it } from 'vitest';
import type { Engine, RawMessage, RawRecord } from './engine.ts';
import { PermanentError, runMessage } from './runner.ts';

const dispute: DisputeReceivedV1 = {
  disputeId: randomUUID(),
  channel: 'hotline_12345',
  sourceRef: 'R1',
  revision: 1,
  receivedAt: '2024-08-24T09:00:00+08:00',
  content: '欠薪',
  location: { address: '龙岩市新罗区江山镇' },
  parties: [],
  attachments: [],
};

const message: RawMessage = {
  topic: 'dispute.intake.v1',
  partition: 0,
  offset: '7',
  key: dispute.disputeId,
  value: Buffer.from(JSON.stringify(dispute)),
  headers: toHeaders({
    id: randomUUID(),
    type: 'cn.huijie.dispute.intake.v1',
    source: '/test',
    time: new Date().toISOString(),
  }),
};

function parkingEngine() {
  const parked: RawRecord[] = [];
  const engine = {
    produce: async (records: RawRecord[]) => void parked.push(...records),
  } as unknown as Engine;
  return { engine, parked };
}

const delivery = () => ({ heartbeat: async () => {}, signal: new AbortController().signal });
const retry = { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 };
const unreachable = () =>
  Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: 'P1001' });

describe('runMessage: a dependency that is away', () => {
  it('retries a handler failing because the database is unreachable for as long as it takes, and parks nothing', async () => {
    const { engine, parked } = parkingEngine();
    const attempts: number[] = [];
    await runMessage(message, delivery(), {
      group: 'cases',
      retry,
      engine,
      handlers: {
        'dispute.intake.v1': async (_event, ctx) => {
          attempts.push(ctx.attempt);
          // Far more failures than the policy's 3 attempts: an outage, not a bad message.
          if (ctx.attempt <= 12) throw unreachable();
        },
      },
    });
    expect(attempts).toHaveLength(13);
    expect(parked).toEqual([]);
  });

  it("still dead-letters after the policy's attempts when the failure is the work's own", async () => {
    const { engine, parked } = parkingEngine();
    const attempts: number[] = [];
    await runMessage(message, delivery(), {
      group: 'cases',
      retry,
      engine,
      handlers: {
        'dispute.intake.v1': async (_event, ctx) => {
          attempts.push(ctx.attempt);
          // An outage first, then a real failure: only the real ones count.
          if (ctx.attempt <= 4) throw unreachable();
          throw new Error('cannot route this');
        },
      },
    });
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.headers[dlqHeaders.error]).toBe('handler: cannot route this');
    expect(parked[0]!.headers[dlqHeaders.attempts]).toBe('7');
  });

  it('stops waiting when the subscription stops: the message stays uncommitted, nothing is parked', async () => {
    const { engine, parked } = parkingEngine();
    const stopping = new AbortController();
    const run = runMessage(
      message,
      { heartbeat: async () => {}, signal: stopping.signal },
      {
        group: 'cases',
        retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 50 },
        engine,
        handlers: {
          'dispute.intake.v1': async () => {
            throw unreachable();
          },
        },
      },
    );
    setTimeout(() => stopping.abort(), 200);
    await expect(run).rejects.toThrow('subscription stopping');
    expect(parked).toEqual([]);
  });
});

describe('runMessage: a dead letter names what failed, never whom', () => {
  it('keeps a body that is not JSON out of the error header: its text may be a name and a phone', async () => {
    const { engine, parked } = parkingEngine();
    const body = Buffer.from('name=郭某&phone=13800000000');
    await runMessage({ ...message, value: body }, delivery(), {
      group: 'cases',
      retry,
      engine,
      handlers: { 'dispute.intake.v1': async () => {} },
    });
    const reason = parked[0]!.headers[dlqHeaders.error]!;
    expect(reason).toMatch(/^body: not JSON \(.*is not valid JSON\)$/);
    expect(reason).not.toContain('郭某');
    // The message itself is parked whole, for an operator to inspect and replay.
    expect(parked[0]!.value).toEqual(body);
  });

  it("masks mobile and ID-card numbers in a handler's error, and keeps its class", async () => {
    const { engine, parked } = parkingEngine();
    await runMessage(message, delivery(), {
      group: 'cases',
      retry,
      engine,
      handlers: {
        'dispute.intake.v1': async () => {
          throw new PermanentError('caller 13800000000 (ID 35080219900101123X) is already a party');
        },
      },
    });
    expect(parked[0]!.headers[dlqHeaders.error]).toBe(
      'handler: PermanentError: caller [redacted] (ID [redacted]) is already a party',
    );
  });
});

describe('runMessage: each dead letter is one warning in the service log', () => {
  /** The warnings a bus logger was given, as the service logger would write them. */
  function warnings() {
    const lines: Record<string, unknown>[] = [];
    return {
      lines,
      logger: { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ ...fields, msg }) },
    };
  }

  it('names the group, where the message was, the event and what is wrong with it: never its value', async () => {
    const { engine, parked } = parkingEngine();
    const { lines, logger } = warnings();
    // The event's type, a body that is not it, and a caller's name and mobile in it.
    const body = JSON.stringify({ not: 'an event', caller: { name: '郭某某', phone: '13912345678' } });
    await runMessage({ ...message, value: Buffer.from(body) }, delivery(), {
      group: 'cases',
      retry,
      engine,
      logger,
      handlers: { 'dispute.intake.v1': async () => {} },
    });
    expect(parked).toHaveLength(1);
    expect(lines).toEqual([
      {
        group: 'cases',
        topic: 'dispute.intake.v1',
        partition: 0,
        offset: '7',
        eventType: 'cn.huijie.dispute.intake.v1',
        eventId: message.headers.ce_id,
        attempts: 0,
        reason: parked[0]!.headers[dlqHeaders.error],
        deadLetterTopic: 'dispute.intake.v1.dlq',
        msg: 'message dead-lettered',
      },
    ]);
    expect(lines[0]!.reason).toMatch(/^body: invalid dispute\.intake\.v1: disputeId: /);
    expect(JSON.stringify(lines)).not.toMatch(/郭某某|13912345678|an event/);
  });

  it('leaves the event out when the headers do not name it, and masks numbers in a handler error', async () => {
    const { engine } = parkingEngine();
    const { lines, logger } = warnings();
    await runMessage({ ...message, headers: {} }, delivery(), {
      group: 'routing',
      retry,
      engine,
      logger,
      handlers: {},
    });
    await runMessage(message, delivery(), {
      group: 'notify',
      retry,
      engine,
      logger,
      handlers: {
        'dispute.intake.v1': async () => {
          throw new PermanentError('caller 13800000000 is already a party');
        },
      },
    });
    expect(lines[0]).not.toHaveProperty('eventType');
    expect(lines[0]).not.toHaveProperty('eventId');
    expect(lines[0]).toMatchObject({ group: 'routing', reason: expect.stringMatching(/^header ce_/) });
    expect(lines[1]).toMatchObject({
      group: 'notify',
      attempts: 1,
      reason: 'handler: PermanentError: caller [redacted] is already a party',
    });
  });

  it('logs an event id only when it is one (a UUID): a name written into ce_id is not logged', async () => {
    const { engine } = parkingEngine();
    const { lines, logger } = warnings();
    const withId = (id: string) => ({ ...message, headers: { ...message.headers, ce_id: id } });
    for (const id of ['郭建华13800000000', 'guo-jianhua', `${randomUUID()} 郭建华`])
      await runMessage(withId(id), delivery(), {
        group: 'cases',
        retry,
        engine,
        logger,
        handlers: {
          'dispute.intake.v1': async () => {
            throw new PermanentError('not for this case');
          },
        },
      });
    expect(lines.map((line) => line.eventId)).toEqual(['[malformed]', '[malformed]', '[malformed]']);
    expect(JSON.stringify(lines)).not.toMatch(/郭建华|guo-jianhua|13800000000/);
  });

  it("logs an event type only when it is one of the platform's: a name written into ce_type is not logged, the dead letter keeps it", async () => {
    const { engine, parked } = parkingEngine();
    const { lines, logger } = warnings();
    await runMessage(
      { ...message, headers: { ...message.headers, ce_type: '郭建华.guo-jianhua' } },
      delivery(),
      {
        group: 'cases',
        retry,
        engine,
        logger,
        handlers: { 'dispute.intake.v1': async () => {} },
      },
    );
    expect(lines[0]).toMatchObject({
      eventType: '[unknown]',
      reason: 'ce_type: not an event type this version knows',
    });
    expect(JSON.stringify(lines)).not.toMatch(/郭建华|guo-jianhua/);
    expect(parked[0]!.headers.ce_type).toBe('郭建华.guo-jianhua');
  });

  it('logs nothing for a message handled, nor for one it could not park (the engine redelivers it)', async () => {
    const { lines, logger } = warnings();
    const failing = {
      produce: async () => {
        throw new Error('broker away');
      },
    } as unknown as Engine;
    await runMessage(message, delivery(), {
      group: 'cases',
      retry,
      engine: failing,
      logger,
      handlers: { 'dispute.intake.v1': async () => {} },
    });
    await expect(
      runMessage({ ...message, headers: {} }, delivery(), {
        group: 'cases',
        retry,
        engine: failing,
        logger,
        handlers: {},
      }),
    ).rejects.toThrow('broker away');
    expect(lines).toEqual([]);
  });
});
