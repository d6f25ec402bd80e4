import { describe, expect, it } from 'vitest';
import { slaStageAt } from './sla-sweeper.ts';

const day = 24 * 3600 * 1000;
const due = new Date('2024-09-03T09:30:00+08:00');

describe('SLA stages', () => {
  it('nothing before the due time; a reminder at it; one level up after each further period', () => {
    expect(slaStageAt(due, new Date(due.getTime() - 1), 3 * day)).toBe(0);
    expect(slaStageAt(due, due, 3 * day)).toBe(1);
    expect(slaStageAt(due, new Date(due.getTime() + 3 * day - 1), 3 * day)).toBe(1);
    expect(slaStageAt(due, new Date(due.getTime() + 3 * day), 3 * day)).toBe(2);
    expect(slaStageAt(due, new Date(due.getTime() + 9 * day), 3 * day)).toBe(4);
  });
});
