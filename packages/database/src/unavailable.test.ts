import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['the server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['a connection exception (class 08)', withCode('connection failure', '08006')],
    ['too many connections', withCode('sorry, too many clients already', '53300')],
    ["Prisma's P1001", withCode("Can't reach database server at 127.0.0.1:5432", 'P1001')],
    ["Prisma's P1017", withCode('Server has closed the connection.', 'P1017')],
    ['a pool that had no connection in time', withCode('Timed out fetching a new connection', 'P2024')],
    [
      "the pg adapter's error as Prisma's cause",
      Object.assign(new Error('query failed'), {
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
      }),
    ],
    [
      'a wrapped cause',
      new Error('recording the case failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
    ],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ["Prisma's record not found", withCode('No record was found for an update.', 'P2025')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'code')")],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('does not loop on a cause that points back at itself', () => {
    const error = new Error('odd') as Error & { cause?: unknown };
    error.cause = error;
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
