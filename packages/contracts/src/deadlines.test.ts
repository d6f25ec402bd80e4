import { describe, expect, it } from 'vitest';
import { routedDeadlines } from './deadlines.ts';

const decided = '2024-09-01T01:00:00.000Z';
const earlier = '2024-08-31T01:00:00.000Z';
const court = '2024-08-26T15:59:59.000Z';

describe('the deadlines a re-routing gives a case and its departments', () => {
  const holding =
    (held: Record<string, { role: 'lead' | 'co'; dueAt: string }>) => (code: string, role: 'lead' | 'co') =>
      held[code]?.role === role ? held[code].dueAt : undefined;

  it('a kept lead keeps its earlier deadline, and a department new to the case joins at it', () => {
    const { caseDue, dueFor } = routedDeadlines({
      decided,
      lead: 'office',
      held: holding({ office: { role: 'lead', dueAt: earlier } }),
    });
    expect(caseDue).toBe(earlier);
    expect(dueFor('office', 'lead')).toBe(earlier);
    expect(dueFor('newcomer', 'co')).toBe(earlier);
  });

  it("a new lead, or a department in another role, gets the decision's deadline; a kept co-handler keeps its earlier one", () => {
    const { caseDue, dueFor } = routedDeadlines({
      decided,
      lead: 'police',
      held: holding({ office: { role: 'lead', dueAt: earlier }, labour: { role: 'co', dueAt: earlier } }),
    });
    expect(caseDue).toBe(decided);
    expect(dueFor('police', 'lead')).toBe(decided);
    expect(dueFor('office', 'co')).toBe(decided);
    expect(dueFor('labour', 'co')).toBe(earlier);
  });

  it("never later than a court's date that joined the case, whoever leads; a later held deadline gives no more time", () => {
    const { caseDue, dueFor } = routedDeadlines({
      decided,
      lead: 'office',
      held: holding({ office: { role: 'lead', dueAt: '2024-09-30T00:00:00.000Z' } }),
      court,
    });
    expect(caseDue).toBe(court);
    expect(dueFor('office', 'lead')).toBe(court);
  });

  it('triage keeps no lead: the decision stands', () => {
    const { caseDue } = routedDeadlines({ decided, lead: null, held: () => earlier });
    expect(caseDue).toBe(decided);
  });

  it('compares moments, not text: a Date from the database and offsets other than Z', () => {
    const { caseDue } = routedDeadlines({
      decided: new Date(decided),
      lead: 'office',
      held: () => new Date('2024-08-31T09:00:00+08:00'),
    });
    expect(caseDue).toEqual(new Date(earlier));
    expect(
      routedDeadlines({ decided, lead: null, held: () => undefined, court: '2024-09-01T08:59:59+08:00' })
        .caseDue,
    ).toBe('2024-09-01T08:59:59+08:00');
  });
});
