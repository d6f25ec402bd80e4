import type { CaseOutcome, CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import { type Level, levelRank, mostSpecificDivision } from '@huijie/contracts/vocabulary.ts';

/**
 * The case lifecycle as pure logic: `decide(command, state)` says what happens (or why it
 * cannot), `evolve(state, event)` applies it. Routing assigns or parks in triage; the lead
 * accepts and mediates; the case ends resolved (mediated) or unresolved (not mediated,
 * withdrawn), then closes. Escalation up the express lane can happen at any open stage.
 */
export interface CaseState {
  status: CaseStatus;
  expressLevel: Level | null;
  outcome: CaseOutcome | null;
}

export type Command =
  | { type: 'accept'; by: string }
  | { type: 'record_progress'; by: string; note: string }
  | { type: 'record_outcome'; by: string; outcome: CaseOutcome }
  | {
      type: 'escalate';
      by: string;
      level: Level;
      reason: 'major' | 'overdue' | 'repeated' | 'manual';
      detail?: string;
    }
  | { type: 'close'; by: string }
  | { type: 'add_note'; by: string; note: string };

export type CaseEvent =
  | { type: 'accepted'; by: string }
  | { type: 'mediating'; by: string; note: string }
  | { type: 'progress'; by: string; note: string }
  | { type: 'resolved'; by: string; outcome: CaseOutcome }
  | { type: 'unresolved'; by: string; outcome: CaseOutcome }
  | {
      type: 'escalated';
      by: string;
      level: Level;
      previousLevel: Level | null;
      reason: string;
      detail?: string;
    }
  | { type: 'closed'; by: string }
  | { type: 'note'; by: string; note: string };

export type Action = Command['type'];

/**
 * Each action as a message says it: what the actor would do (`only the lead department can record
 * an outcome`), and what it would do to a case (`cannot record progress on a case that is
 * assigned`) — the command's name with its underscore dropped read "cannot record progress a case".
 */
const actionWording: Record<Action, { verb: string; toACase: string }> = {
  accept: { verb: 'accept', toACase: 'accept a case' },
  record_progress: { verb: 'record progress', toACase: 'record progress on a case' },
  record_outcome: { verb: 'record an outcome', toACase: 'record an outcome on a case' },
  escalate: { verb: 'escalate', toACase: 'escalate a case' },
  close: { verb: 'close', toACase: 'close a case' },
  add_note: { verb: 'add a note', toACase: 'add a note to a case' },
};

/** The action as the verb of a sentence: "an agency cannot escalate", "only the lead can record an outcome". */
export const actionVerb = (action: Action) => actionWording[action].verb;

/** Statuses in which a case is still being worked on; the others have ended. */
export const openStatuses = ['received', 'triage', 'assigned', 'accepted', 'mediating'] as const;
export const isOpen = (status: CaseStatus) => (openStatuses as readonly CaseStatus[]).includes(status);
/** The actions an operator can take on a case in each status, as the API answers them in a 409. */
export function allowedActions(state: CaseState): Action[] {
  const actions: Action[] = ['add_note'];
  switch (state.status) {
    case 'received':
    case 'triage':
      break;
    case 'assigned':
      actions.push('accept');
      break;
    case 'accepted':
    case 'mediating':
      actions.push('record_progress', 'record_outcome');
      break;
    case 'resolved':
    case 'unresolved':
      actions.push('close');
      break;
    case 'closed':
      break;
    default: {
      const unreachable: never = state.status;
      throw new Error(`unknown status ${unreachable}`);
    }
  }
  if (isOpen(state.status) && state.expressLevel !== 'city') actions.push('escalate');
  return actions;
}

/**
 * Who acts, as the case knows them: its lead department, a co-handling one (协办), or an operator —
 * the platform's own commands (the SLA sweeper's, repeat detection's escalations) count as an
 * operator's. What the status alone cannot say: whose progress starts the mediation.
 */
export type Role = 'lead' | 'co' | 'operator';

export class InvalidTransition extends Error {
  constructor(
    readonly state: CaseState,
    readonly command: Command['type'],
    reason: string,
  ) {
    super(reason);
  }
}

export function decide(command: Command, state: CaseState, role: Role = 'operator'): CaseEvent[] {
  if (!allowedActions(state).includes(command.type)) {
    // An open case at the top of the express lane is refused for where it is, not for its status.
    const why =
      command.type === 'escalate' && isOpen(state.status)
        ? `the case is already in the express lane at ${state.expressLevel} level, the highest`
        : `cannot ${actionWording[command.type].toACase} that is ${state.status}`;
    throw new InvalidTransition(state, command.type, why);
  }
  switch (command.type) {
    case 'accept':
      return [{ type: 'accepted', by: command.by }];
    case 'record_progress':
      // The lead's first progress report (or an operator's, for it) starts the mediation; later
      // ones are progress. A co-handler's is progress whenever it comes: it helps the lead, it
      // does not start the mediation the lead has not (case.status.v1 `mediating`).
      return [
        state.status === 'accepted' && role !== 'co'
          ? { type: 'mediating', by: command.by, note: command.note }
          : { type: 'progress', by: command.by, note: command.note },
      ];
    case 'record_outcome':
      return [
        command.outcome.kind === 'mediated'
          ? { type: 'resolved', by: command.by, outcome: command.outcome }
          : { type: 'unresolved', by: command.by, outcome: command.outcome },
      ];
    case 'escalate': {
      if (state.expressLevel && levelRank[command.level] <= levelRank[state.expressLevel]) {
        throw new InvalidTransition(
          state,
          command.type,
          `the case is already in the express lane at ${state.expressLevel} level`,
        );
      }
      return [
        {
          type: 'escalated',
          by: command.by,
          level: command.level,
          previousLevel: state.expressLevel,
          reason: command.reason,
          ...(command.detail && { detail: command.detail }),
        },
      ];
    }
    case 'close':
      return [{ type: 'closed', by: command.by }];
    case 'add_note':
      return [{ type: 'note', by: command.by, note: command.note }];
    default: {
      const unreachable: never = command;
      throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
    }
  }
}

export function evolve(state: CaseState, event: CaseEvent): CaseState {
  switch (event.type) {
    case 'accepted':
      return { ...state, status: 'accepted' };
    case 'mediating':
      return { ...state, status: 'mediating' };
    case 'resolved':
      return { ...state, status: 'resolved', outcome: event.outcome };
    case 'unresolved':
      return { ...state, status: 'unresolved', outcome: event.outcome };
    case 'escalated':
      return { ...state, expressLevel: event.level };
    case 'closed':
      return { ...state, status: 'closed' };
    case 'progress':
    case 'note':
      return state;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Which statuses routing may (re)assign from: a case that has ended keeps its departments. */
export function canBeRouted(status: CaseStatus): boolean {
  return isOpen(status);
}

/** The next level up the express lane, from where a case is now (none: the township). */
export function nextLevel(current: Level | null): Level | null {
  if (current === null) return 'township';
  if (current === 'township') return 'county';
  if (current === 'county') return 'city';
  return null;
}

/** Where a case is, as far as the express lane needs to know. */
type LanePlace = { cityCode: string | null; countyCode?: string | null; townCode?: string | null };

/**
 * The level a case goes up the lane to when `level` is asked (by repeats, the SLA sweeper or an
 * operator): never below the lowest level whose division is known. A case placed at county level
 * only has no township secretary to tell, so it enters at the county — as routing lifts its lanes.
 */
export function laneLevel(level: Level, place: LanePlace): Level {
  const lowest: Level = place.townCode ? 'township' : place.countyCode ? 'county' : 'city';
  return levelRank[level] < levelRank[lowest] ? lowest : level;
}

/**
 * Whose secretary a level of the lane concerns, for a case in this place: the city, the county
 * (the city when no county is known), the town (else the county, else the city).
 */
export function laneDivision(level: Level, place: LanePlace): string | null {
  if (level === 'city') return place.cityCode;
  if (level === 'county') return place.countyCode ?? place.cityCode;
  return mostSpecificDivision(place);
}
