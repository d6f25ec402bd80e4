import { describe, expect, it } from 'vitest';
import { type SlaClock, slaStepAt } from './sla-sweeper.ts';

const day = 24 * 3600 * 1000;
const period = 3 * day;
const due = new Date('2024-09-03T09:30:00+08:00');
const after = (from: Date, days: number) => new Date(from.getTime() + days * day);
/** Routed a week before its due time, as routing dates a new report. */
const routedEarly: SlaClock = { dueAt: due, routedAt: after(due, -7), escalatedAt: null, slaStage: 0 };
const step = (clock: Partial<SlaClock>, now: Date) => slaStepAt({ ...routedEarly, ...clock }, now, period);
const nothing = { remind: false, escalate: false };

describe('SLA steps', () => {
  it('nothing before the due time; a reminder at it; one level up a period later', () => {
    expect(step({}, after(due, -0.001))).toEqual(nothing);
    expect(step({}, due)).toEqual({ remind: true, escalate: false });
    expect(step({ slaStage: 1 }, after(due, 2.9))).toEqual(nothing);
    expect(step({ slaStage: 1 }, after(due, 3))).toEqual({ remind: false, escalate: true });
    // The next level a period after the last escalation.
    expect(step({ slaStage: 2, escalatedAt: after(due, 3) }, after(due, 5.9))).toEqual(nothing);
    expect(step({ slaStage: 2, escalatedAt: after(due, 3) }, after(due, 6))).toEqual({
      remind: false,
      escalate: true,
    });
  });

  it('given an order routed long after its due date (a hotline backlog), then the periods count from its routing', () => {
    const late = { dueAt: new Date('2024-08-31T18:00:00+08:00'), routedAt: due };
    // Overdue on arrival: reminded, no secretary told.
    expect(step(late, after(due, 0.001))).toEqual({ remind: true, escalate: false });
    expect(step({ ...late, slaStage: 1 }, after(due, 2.9))).toEqual(nothing);
    expect(step({ ...late, slaStage: 1 }, after(due, 3))).toEqual({ remind: false, escalate: true });
  });

  it('given a sweeper that was down for days, then one level per sweep, the next a period after it', () => {
    // Due and left for 20 days: the reminder and the first level at once, and no more.
    expect(step({}, after(due, 20))).toEqual({ remind: true, escalate: true });
    // Swept again a minute later: the township secretary was told a minute ago.
    expect(step({ slaStage: 2, escalatedAt: after(due, 20) }, after(due, 20.001))).toEqual(nothing);
    expect(step({ slaStage: 2, escalatedAt: after(due, 20) }, after(due, 23))).toEqual({
      remind: false,
      escalate: true,
    });
  });

  it('given a case an operator escalated by hand yesterday, then the sweeper gives that level its period', () => {
    expect(step({ slaStage: 3, escalatedAt: after(due, 10) }, after(due, 11))).toEqual(nothing);
    expect(step({ slaStage: 3, escalatedAt: after(due, 10) }, after(due, 13))).toEqual({
      remind: false,
      escalate: true,
    });
  });
});
