import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors/index.js';
import { describe, expect, it } from 'vitest';
import { isRedisUnavailable } from './redis.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isRedisUnavailable', () => {
  it.each([
    ['a command held through the reconnect attempts', new MaxRetriesPerRequestError(2)],
    ['a command on a closed connection', new Error('Connection is closed.')],
    ['a command Redis did not answer in time', new Error('Command timed out')],
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED')],
    ['a connection reset', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a wrapped cause', new Error('noting the status failed', { cause: new MaxRetriesPerRequestError(2) })],
    [
      'a Redis still loading its data after a restart',
      new ReplyError('LOADING Redis is loading the dataset in memory'),
    ],
    ['a replica during a failover', new ReplyError("READONLY You can't write against a read only replica.")],
    [
      'a replica whose master is down',
      new ReplyError('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no'),
    ],
    ['a cluster moving a slot', new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot')],
  ])('is true for %s', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(true);
  });

  it.each([
    [
      'a WRONGTYPE reply',
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
    ],
    [
      "a script's error",
      new ReplyError(
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: 5a7c…, on @user_script:1.",
      ),
    ],
    ['an unknown command', new ReplyError("ERR unknown command 'NOPE', with args beginning with: ")],
    ["the database's words for a lost connection", new Error('Connection terminated unexpectedly')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'status')")],
    ['a string', 'Connection is closed.'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isRedisUnavailable(error)).toBe(false);
  });
});
