import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { waitTextJs } from '../src/web/pages.ts';

// The page's own script, run as the browser would.
const waitText = runInNewContext(`${waitTextJs}; waitText`) as (retryAfter: string | null) => string;

describe('the wait a rate-limited citizen is told', () => {
  it('in hours from an hour on, rounded up', () => {
    expect(waitText('86400')).toBe('请约24小时后再试。');
    expect(waitText('3600')).toBe('请约1小时后再试。');
    expect(waitText('5400')).toBe('请约2小时后再试。');
  });

  it('in minutes below an hour, seconds below two minutes', () => {
    expect(waitText('3599')).toBe('请约60分钟后再试。');
    expect(waitText('120')).toBe('请约2分钟后再试。');
    expect(waitText('90')).toBe('请90秒后再试。');
  });

  it('without a usable Retry-After, just later', () => {
    expect(waitText(null)).toBe('请稍后再试。');
    expect(waitText('0')).toBe('请稍后再试。');
  });
});
