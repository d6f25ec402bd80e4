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

  describe('a court that moves its date later (委派调解期限 extended from 3 to 5 days)', () => {
    const before = '2024-08-23T15:59:59.000Z';
    const extended = '2024-08-25T15:59:59.000Z';
    const routeLimit = '2024-08-22T01:00:00.000Z';
    // Routing decides on the revision: its route's 15 days, capped at the court's new date.
    const onRevision = { decided: extended, lead: 'office', court: extended };

    it("the court's new date replaces the one its departments held from the court; an earlier one of their own stays", () => {
      const { caseDue, dueFor } = routedDeadlines({
        ...onRevision,
        held: holding({
          office: { role: 'lead', dueAt: before },
          labour: { role: 'co', dueAt: before },
          police: { role: 'co', dueAt: routeLimit },
        }),
        courtMovedFrom: before,
      });
      expect(caseDue).toBe(extended);
      expect(dueFor('office', 'lead')).toBe(extended);
      expect(dueFor('labour', 'co')).toBe(extended);
      expect(dueFor('police', 'co')).toBe(routeLimit);
    });

    it("a 催办 or a correction after the extension gives nobody more than the court's date", () => {
      const held = holding({ office: { role: 'lead', dueAt: extended } });
      const later = '2024-09-10T01:00:00.000Z';
      const { caseDue, dueFor } = routedDeadlines({ decided: later, lead: 'office', held, court: extended });
      expect(caseDue).toBe(extended);
      expect(dueFor('office', 'lead')).toBe(extended);
    });

    it("a re-decision gives no more time than a route's limit that was earlier than the court's former date", () => {
      const { caseDue } = routedDeadlines({
        ...onRevision,
        held: holding({ office: { role: 'lead', dueAt: routeLimit } }),
        courtMovedFrom: before,
      });
      expect(caseDue).toBe(routeLimit);
    });
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
