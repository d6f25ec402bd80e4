import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { describe, expect, it } from 'vitest';
import {
  allowedActions,
  type CaseState,
  type Command,
  decide,
  evolve,
  InvalidTransition,
  laneLevel,
} from './lifecycle.ts';

const state = (status: CaseStatus, expressLevel: CaseState['expressLevel'] = null): CaseState => ({
  status,
  expressLevel,
  outcome: null,
});
const run = (given: CaseState, ...commands: Command[]) =>
  commands.reduce((current, command) => decide(command, current).reduce(evolve, current), given);

const by = 'operator:demo';
const guoOutcome = { kind: 'mediated' as const, summary: '老板同意支付工资', amount: 3800 };

describe('case lifecycle', () => {
  it('Guo: assigned → accepted → mediating → resolved with 3,800 yuan → closed', () => {
    const end = run(
      state('assigned'),
      { type: 'accept', by },
      { type: 'record_progress', by, note: '已联系双方' },
      { type: 'record_progress', by, note: '老板同意分两次支付' },
      { type: 'record_outcome', by, outcome: guoOutcome },
      { type: 'close', by },
    );
    expect(end).toEqual({ status: 'closed', expressLevel: null, outcome: guoOutcome });
  });

  it('the first progress report starts mediation, later ones are progress', () => {
    expect(decide({ type: 'record_progress', by, note: 'a' }, state('accepted'))[0]!.type).toBe('mediating');
    expect(decide({ type: 'record_progress', by, note: 'b' }, state('mediating'))[0]!.type).toBe('progress');
  });

  it("a co-handler's progress is progress: only the lead's, or an operator's, starts the mediation", () => {
    const progress = { type: 'record_progress' as const, by, note: '协助调查' };
    expect(decide(progress, state('accepted'), 'co')).toEqual([{ type: 'progress', by, note: '协助调查' }]);
    expect(run(state('accepted'), progress).status).toBe('mediating');
    expect(decide(progress, state('accepted'), 'co').reduce(evolve, state('accepted')).status).toBe(
      'accepted',
    );
    expect(decide(progress, state('accepted'), 'lead')[0]!.type).toBe('mediating');
    expect(decide(progress, state('accepted'), 'operator')[0]!.type).toBe('mediating');
    expect(decide(progress, state('mediating'), 'co')[0]!.type).toBe('progress');
  });

  it('a failed mediation ends unresolved with where it goes next', () => {
    const outcome = { kind: 'not_mediated' as const, referredTo: 'litigation' as const };
    expect(run(state('mediating'), { type: 'record_outcome', by, outcome })).toMatchObject({
      status: 'unresolved',
      outcome,
    });
  });

  it('an outcome can be recorded straight after acceptance (settled at first contact)', () => {
    expect(run(state('accepted'), { type: 'record_outcome', by, outcome: guoOutcome }).status).toBe(
      'resolved',
    );
  });

  it.each<[CaseStatus, Command]>([
    ['received', { type: 'accept', by }],
    ['triage', { type: 'accept', by }],
    ['assigned', { type: 'record_outcome', by, outcome: guoOutcome }],
    ['accepted', { type: 'accept', by }],
    ['resolved', { type: 'record_progress', by, note: 'x' }],
    ['closed', { type: 'close', by }],
    ['closed', { type: 'escalate', by, level: 'county', reason: 'manual' }],
  ])('refuses from %s: %o, saying what is allowed', (status, command) => {
    const given = state(status);
    expect(() => decide(command, given)).toThrow(InvalidTransition);
    try {
      decide(command, given);
    } catch (error) {
      expect((error as InvalidTransition).message).toContain(status);
      expect(allowedActions(given)).not.toContain(command.type);
    }
  });

  it.each<[CaseStatus, Command, string]>([
    [
      'assigned',
      { type: 'record_progress', by, note: 'x' },
      'cannot record progress on a case that is assigned',
    ],
    [
      'resolved',
      { type: 'record_outcome', by, outcome: guoOutcome },
      'cannot record an outcome on a case that is resolved',
    ],
    ['assigned', { type: 'close', by }, 'cannot close a case that is assigned'],
    ['mediating', { type: 'accept', by }, 'cannot accept a case that is mediating'],
    [
      'closed',
      { type: 'escalate', by, level: 'county', reason: 'manual' },
      'cannot escalate a case that is closed',
    ],
  ])('says in a sentence why not: from %s, %o', (status, command, message) => {
    expect(() => decide(command, state(status))).toThrow(message);
  });

  it('escalates only upwards: township → county → city, and no further', () => {
    let current = state('assigned');
    for (const level of ['township', 'county', 'city'] as const) {
      current = run(current, { type: 'escalate', by, level, reason: 'overdue' });
      expect(current.expressLevel).toBe(level);
    }
    expect(allowedActions(current)).not.toContain('escalate');
    expect(() =>
      decide({ type: 'escalate', by, level: 'county', reason: 'manual' }, state('assigned', 'county')),
    ).toThrow('already in the express lane at county level');
    // At the top, the refusal says so, not that the case is "assigned".
    expect(() => decide({ type: 'escalate', by, level: 'city', reason: 'manual' }, current)).toThrow(
      'the case is already in the express lane at city level, the highest',
    );
  });

  it('a note changes nothing but is always allowed', () => {
    for (const status of [
      'received',
      'triage',
      'assigned',
      'accepted',
      'mediating',
      'resolved',
      'unresolved',
      'closed',
    ] as const) {
      expect(run(state(status), { type: 'add_note', by, note: '回访' })).toEqual(state(status));
    }
  });

  it('the lane starts at the lowest level whose division is known, as routing lifts it', () => {
    const town = { cityCode: '350800', countyCode: '350802', townCode: '350802107' };
    const county = { cityCode: '350800', countyCode: '350802', townCode: null };
    expect(laneLevel('township', town)).toBe('township');
    expect(laneLevel('township', county)).toBe('county');
    expect(laneLevel('city', county)).toBe('city');
    expect(laneLevel('township', { cityCode: '350800' })).toBe('city');
  });
});
