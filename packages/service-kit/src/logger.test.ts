import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp } from './http-app.ts';
import { capturedLogger as capture } from './log-capture.ts';
import { createMetrics } from './metrics.ts';

describe('logger redaction', () => {
  it('never writes names, phones or ID numbers, at any depth the services log them', () => {
    const { logger, lines } = capture();
    logger.info({ phone: '13800000000', caller: { name: '郭某', phone: '13800000001' } }, 'pushed');
    logger.info({ dispute: { parties: [{ name: '杨某', idNumber: '350802199001011234' }] } }, 'routed');
    logger.info({ applicant: { name: '胡某' }, content: '电话13800000002' }, 'applied');
    logger.info({ delivery: { recipient: '13800000003' } }, 'sent');
    logger.info({ party: { wechatOpenId: 'oOPENID-of-guo' }, contact: { text: '陈某' } }, 'assigned');
    logger.info({ referral: { respondents: ['黄某'], phones: ['13800000004'] } }, 'referred');
    const text = lines.join('');
    for (const secret of [
      '13800000000',
      '13800000001',
      '13800000002',
      '郭某',
      '杨某',
      '胡某',
      '350802199001011234',
      '13800000003',
      'oOPENID-of-guo',
      '陈某',
      '黄某',
      '13800000004',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('keeps the service name and the ids an engineer needs', () => {
    const { logger, lines } = capture();
    logger.info({ disputeId: 'be014981-ffc9-5313-9b8d-78650a51da36', orderNo: 'GD1' }, 'accepted');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      service: 'test',
      disputeId: 'be014981-ffc9-5313-9b8d-78650a51da36',
      orderNo: 'GD1',
    });
  });
});

describe('logging an error', () => {
  const secrets = ['郭某', '13800000000', '350802199001011234'];
  const logged = (error: unknown) => {
    const { logger, lines } = capture();
    logger.warn({ err: error }, 'failed');
    return { text: lines.join(''), err: JSON.parse(lines[0]!).err };
  };

  it('keeps the path and reason of a zod error, never the input it quotes', () => {
    const schema = z.object({ caller: z.object({ name: z.string(), phone: z.string().regex(/^1\d{10}$/) }) });
    const parsed = schema.safeParse({ caller: { name: '郭某', phone: 13800000000 } }, { reportInput: true });
    const error = parsed.error!;
    expect(error.message).toContain('13800000000');
    const { text, err } = logged(error);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(err).toMatchObject({
      type: 'ZodError',
      reason: expect.stringContaining('caller.phone: Invalid input'),
    });
  });

  it('masks the text JSON.parse quotes from what it could not read', () => {
    let error: unknown;
    try {
      JSON.parse('name=郭某&phone=13800000000');
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toContain('郭某');
    const { text, err } = logged(error);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(err.type).toBe('SyntaxError');
    expect(err.reason).toContain('is not valid JSON');
  });

  it('masks mobile and ID-card numbers left in a message, and keeps where it was thrown', () => {
    // The ID number's check character is wrong (…1236 is right): the agencies' copies would keep
    // it, the logs mask any run of its length.
    const { text, err } = logged(new Error('no party with phone 138-0000-0000 or ID 350802199001011234'));
    for (const secret of [...secrets, '138-0000-0000']) expect(text).not.toContain(secret);
    expect(err.reason).toBe('no party with phone [redacted] or ID [redacted]');
    expect(err.stack).toMatch(/^at .*logger\.test\.ts:\d+:\d+/);
  });

  it('masks a mobile written with dots or 0086, as the WeChat form accepts it', () => {
    const { text, err } = logged(new Error('no applicant 138.0000.1234, none 008613800001234 either'));
    for (const secret of ['138.0000.1234', '13800001234']) expect(text).not.toContain(secret);
    expect(err.reason).toBe('no applicant [redacted], none [redacted] either');
  });

  it('masks a first-generation ID number and numbers typed in full-width digits', () => {
    const { text, err } = logged(new Error('party 350802800101123 and １３８００００１２３４ refused'));
    for (const secret of ['350802800101123', '１３８００００１２３４', '13800001234'])
      expect(text).not.toContain(secret);
    expect(err.reason).toBe('party [redacted] and [redacted] refused');
  });

  it("keeps a network error's code and its cause", () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const { err } = logged(new Error('store unreachable', { cause }));
    expect(err).toMatchObject({ reason: 'store unreachable', cause: { code: 'ECONNREFUSED' } });
    expect(err.cause.reason).toContain('127.0.0.1:6379');
  });
});

describe("a request's logger", () => {
  it('writes its lines with the request id and the same redaction, child loggers included', async () => {
    const { logger, lines } = capture();
    const app = createServiceApp({ logger, metrics: createMetrics('request-log-test'), readiness: {} });
    app.post('/echo', async (request) => {
      request.log.warn({ caller: { phone: '13800000000' } }, 'pushed');
      request.log.child({ step: 'store' }).info({ name: '郭某' }, 'stored');
      return { id: request.id };
    });
    const answer = await app.inject({ method: 'POST', url: '/echo', payload: {} });
    await app.close();
    const { id } = answer.json();
    const [pushed, stored] = lines.map((line) => JSON.parse(line));
    expect(pushed).toMatchObject({ service: 'test', reqId: id, level: 40, msg: 'pushed' });
    expect(stored).toMatchObject({ service: 'test', reqId: id, step: 'store', msg: 'stored' });
    expect(lines.join('')).not.toMatch(/13800000000|郭某/);
  });

  it('writes nothing for a request that logs nothing', async () => {
    const { logger, lines } = capture();
    const app = createServiceApp({ logger, metrics: createMetrics('request-log-test'), readiness: {} });
    app.get('/quiet', async () => ({ ok: true }));
    expect((await app.inject({ method: 'GET', url: '/quiet' })).statusCode).toBe(200);
    await app.close();
    expect(lines).toEqual([]);
  });
});
