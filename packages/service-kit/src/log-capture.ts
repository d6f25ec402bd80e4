import { Writable } from 'node:stream';
import { createLogger, type Logger } from './logger.ts';

/** For tests: the service logger (redaction and error serializer included), its lines kept as text. */
export function capturedLogger(service = 'test'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ service }, stream), lines };
}
