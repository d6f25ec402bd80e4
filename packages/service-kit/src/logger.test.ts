import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ service: 'test' }, stream);
  return { logger, lines };
}

describe('logger redaction', () => {
  it('never writes names, phones or ID numbers, at any depth the services log them', () => {
    const { logger, lines } = capture();
    logger.info({ phone: '13800000000', caller: { name: '郭某', phone: '13800000001' } }, 'pushed');
    logger.info({ dispute: { parties: [{ name: '杨某', idNumber: '350802199001011234' }] } }, 'routed');
    logger.info({ applicant: { name: '胡某' }, content: '电话13800000002' }, 'applied');
    const text = lines.join('');
    for (const secret of [
      '13800000000',
      '13800000001',
      '13800000002',
      '郭某',
      '杨某',
      '胡某',
      '350802199001011234',
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
