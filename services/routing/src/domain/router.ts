import type { CaseCorrectedV1 } from '@huijie/contracts/events/case-correction-v1.ts';
import type { Department, DisputeAssignedV1 } from '@huijie/contracts/events/dispute-assignment-v1.ts';
import type { DisputeReceivedV1 } from '@huijie/contracts/events/dispute-intake-v1.ts';
import { type CategoryCode, type Level, levelRank, type Severity } from '@huijie/contracts/vocabulary.ts';
import { CategoryClassifier, type CategoryResult } from './categories.ts';
import { type DepartmentDirectory, loadDepartmentDirectory } from './departments.ts';
import { type Gazetteer, loadGazetteer, type PlaceResult } from './gazetteer.ts';
import { isoFromEpochMs } from './iso-time.ts';
import {
  type Assignee,
  type Duration,
  describeDuration,
  durationMs,
  loadRules,
  type Rules,
  type When,
} from './rules.ts';
import { type FiredSignal, SignalDetector } from './signals.ts';
import { normalizeWriting } from './written-forms.ts';

/** What routing decides about one dispute; the service adds the id, version, time and the dispute itself. */
export type RoutingDecision = Omit<DisputeAssignedV1, 'disputeId' | 'version' | 'decidedAt' | 'dispute'>;

export interface RouterOptions {
  /** Defaults to data/rules.v1.json. */
  rules?: Rules;
  /** Defaults to the committed extract of `cityCode`. */
  gazetteer?: Gazetteer;
  /** Defaults to data/departments-<cityCode>.json. */
  departments?: DepartmentDirectory;
  /** Defaults to 350800 (龙岩市). */
  cityCode?: string;
}

/** What a re-routing is told of the case that its report does not say (case.correction.v1). */
export interface CaseContext {
  /** The express lane the case is on: the decision never puts it lower. */
  currentLane?: CaseCorrectedV1['currentLane'];
}

export interface Router {
  readonly rulesVersion: string;
  readonly departments: DepartmentDirectory;
  decide(dispute: DisputeReceivedV1, now: Date, context?: CaseContext): RoutingDecision;
}

type TraceRule = { id: string; why: string };

type Lane = NonNullable<RoutingDecision['expressLane']>;
type CurrentLane = NonNullable<CaseContext['currentLane']>;

const laneReasonWords: Record<CurrentLane['reason'], string> = {
  major: 'judged major',
  overdue: 'overdue',
  repeated: 'reported again and again',
  manual: 'escalated by hand',
};

/**
 * The lane of a re-routing: the higher of routing's own judgement and the lane the case is on,
 * which a re-routing never lowers (however the case got there: routing, an operator, the SLA
 * sweeper, repeated reports). A kept level's secretary is the new place's at that level; a place
 * not known at that level (the town lost) moves the case to no other secretary — as the cases
 * service records it (record-assignment.ts: `movedLane`), which announces a move, not a new level.
 */
function keptLane(own: Lane | null, current: CurrentLane, where: PlaceResult, trace: TraceRule[]): Lane {
  if (own && levelRank[own.level] >= levelRank[current.level]) return own;
  const { level } = current;
  const division = { city: where.cityCode, county: where.countyCode, township: where.townCode }[level];
  const moved =
    division && current.divisionCode && division !== current.divisionCode
      ? `; moved with the place to ${division}'s secretary, from ${current.divisionCode}'s`
      : '';
  const reason = `the case is on the ${level} lane already (${laneReasonWords[current.reason]}): a re-routing never lowers it${moved}`;
  trace.push({ id: 'lane.kept', why: own ? `${reason}; the report alone is ${own.level}` : reason });
  return { level, reason };
}

/** Where a dispute is certain to be, from the most specific level down. */
interface Certain {
  level: Level;
  code: string;
}

/** Province abbreviations of court codes (闽0803 → 35 + 0803). Longyan's courts are all 闽. */
const courtProvinces: Record<string, string> = { 闽: '35' };

/** 闽0803 → 350803; the intermediate court 闽08 names the city only, which places nothing. */
export function courtDivision(courtCode: string | undefined): string | undefined {
  const match = courtCode ? /^(\p{Script=Han})(\d{4})$/u.exec(courtCode.trim()) : null;
  const province = match ? courtProvinces[match[1]!] : undefined;
  return province && match ? `${province}${match[2]}` : undefined;
}

/** Title, content and a court's claims: everything the citizen or the court wrote about the dispute, normalized. */
function textOf(dispute: DisputeReceivedV1): string {
  let text = dispute.title ? `${dispute.title}\n${dispute.content}` : dispute.content;
  const claims = dispute.court?.claims;
  if (claims && claims.length > 0) text += `\n${claims.join('\n')}`;
  return normalizeWriting(text);
}

/**
 * Where a dispute is, as routing places it: its division code, its address, then its words (`text`,
 * as `textOf` reads them). Also the cases service's place of a case routing has not decided yet (a
 * report an operator detached into a case of its own), read as routing will.
 */
export function placeOf(
  gazetteer: Gazetteer,
  dispute: DisputeReceivedV1,
  text = textOf(dispute),
): PlaceResult {
  // A court referral without a division code is still certain of the court's county: a basic court
  // (闽0803 永定) only takes disputes of its own county.
  const courtCode = dispute.location.divisionCode ? undefined : courtDivision(dispute.court?.courtCode);
  const address = dispute.location.address && normalizeWriting(dispute.location.address);
  if (courtCode) {
    return gazetteer.resolve({
      divisionCode: courtCode,
      codeSource: `court ${dispute.court?.courtCode} →`,
      address,
      text,
    });
  }
  return gazetteer.resolve({
    divisionCode: dispute.location.divisionCode,
    address,
    text,
  });
}

function lowestCertain(place: PlaceResult): Certain {
  if (place.townCode) return { level: 'township', code: place.townCode };
  if (place.countyCode) return { level: 'county', code: place.countyCode };
  return { level: 'city', code: place.cityCode };
}

function assigneeDivision(place: PlaceResult, assignee: Assignee): string | undefined {
  return assignee.level === 'township' ? place.townCode : place.countyCode;
}

function holds(when: When, category: CategoryCode, severity: Severity, fired: ReadonlySet<string>): boolean {
  if (when.categories && !when.categories.includes(category)) return false;
  if (when.severity && when.severity !== severity) return false;
  for (const signal of when.signals) if (!fired.has(signal)) return false;
  return true;
}

type DecisionBase = Omit<RoutingDecision, 'lead' | 'coHandlers' | 'dueAt' | 'triage'>;

/**
 * Every decision is built here, field by field in one order: one object shape for V8, and no object spread —
 * spreading the base into the result made a decision twice as slow.
 */
function assemble(
  base: DecisionBase,
  lead: Department | null,
  coHandlers: Department[],
  dueAt: string,
  triage: RoutingDecision['triage'],
): RoutingDecision {
  return {
    jurisdiction: base.jurisdiction,
    category: base.category,
    severity: base.severity,
    lead,
    coHandlers,
    dueAt,
    expressLane: base.expressLane,
    triage,
    trace: base.trace,
  };
}

/**
 * A pure, deterministic routing decision: the same dispute, rules and time give the same decision.
 * Everything it cannot place or classify goes to triage at the lowest level it is sure of — never to a guess.
 */
export function createRouter(options: RouterOptions = {}): Router {
  const cityCode = options.cityCode ?? '350800';
  const rules = options.rules ?? loadRules();
  const gazetteer = options.gazetteer ?? loadGazetteer(cityCode);
  const departments = options.departments ?? loadDepartmentDirectory(cityCode);
  const classifier = new CategoryClassifier(rules.categories);
  const detector = new SignalDetector(rules.signals);

  function toTriage(
    base: DecisionBase,
    certain: Certain,
    now: Date,
    dispute: DisputeReceivedV1,
    trace: TraceRule[],
    reason: string,
  ): RoutingDecision {
    trace.push({ id: `triage.${certain.level}`, why: reason });
    const due = dueAt(now, rules.triage.sla, dispute, trace);
    return assemble(base, null, [], due, { divisionCode: certain.code, reason });
  }

  /** Adds each assignee's department once; one that needs a town or county we do not know is noted, not guessed. */
  function addCoHandlers(
    assignees: Assignee[],
    where: PlaceResult,
    lead: Department,
    into: Department[],
    dropped: string[],
  ): void {
    for (const assignee of assignees) {
      const division = assigneeDivision(where, assignee);
      const department = division ? departments.find(division, assignee.kind) : undefined;
      if (!department) {
        dropped.push(`${assignee.kind} (${assignee.level})`);
        continue;
      }
      if (department.code === lead.code || into.some((d) => d.code === department.code)) continue;
      into.push(department);
    }
  }

  function dueAt(now: Date, duration: Duration, dispute: DisputeReceivedV1, trace: TraceRule[]): string {
    const ours = now.getTime() + durationMs(duration);
    const theirs = dispute.dueAt ? Date.parse(dispute.dueAt) : Number.NaN;
    if (Number.isFinite(theirs) && theirs < ours) {
      trace.push({
        id: 'sla.channel-deadline',
        why: `the channel's own deadline ${dispute.dueAt} is earlier`,
      });
      return isoFromEpochMs(theirs);
    }
    return isoFromEpochMs(ours);
  }

  function expressLane(
    firedTriggers: string[],
    certain: Certain,
    trace: TraceRule[],
  ): { level: Level; reason: string } | null {
    for (const lane of rules.expressLanes) {
      const any = lane.anyOf.some((id) => firedTriggers.includes(id));
      const many = lane.minTriggers !== undefined && firedTriggers.length >= lane.minTriggers;
      if (!any && !many) continue;
      let level = lane.level;
      let reason = lane.why;
      // A township secretary can only be reached when the town is known: lift the lane to the level we are sure of.
      if (levelRank[level] < levelRank[certain.level]) {
        reason += `; lifted from ${level} to ${certain.level} because the ${level} is not certain`;
        level = certain.level;
      }
      trace.push({ id: lane.id, why: `${reason} (triggers: ${firedTriggers.join(', ')})` });
      return { level, reason };
    }
    return null;
  }

  function decide(dispute: DisputeReceivedV1, now: Date, context?: CaseContext): RoutingDecision {
    const text = textOf(dispute);
    const trace: TraceRule[] = [];

    const where = placeOf(gazetteer, dispute, text);
    trace.push({ id: `place.${where.how}`, why: where.evidence });
    const certain = lowestCertain(where);

    const classified: CategoryResult = classifier.classify({
      category: dispute.category,
      sourceCategory: dispute.sourceCategory,
      text,
    });
    const categoryKnown =
      classified.source === 'channel' || classified.confidence >= rules.triage.minCategoryConfidence;
    const category: CategoryCode = categoryKnown ? classified.code : 'other';
    const runnerUp = classified.runnerUp ? `; runner-up ${classified.runnerUp.code}` : '';
    trace.push({
      id: `category.${classified.source}`,
      why:
        `${classified.code} (confidence ${classified.confidence}) from ${classified.matched.join('、') || 'nothing'}${runnerUp}` +
        (classified.note ? `; ${classified.note}` : ''),
    });

    const fired: FiredSignal[] = detector.detect(dispute, text);
    const firedNames = new Set(fired.map((s) => s.name));
    for (const signal of fired) trace.push({ id: `signal.${signal.name}`, why: signal.because });

    const firedTriggers: string[] = [];
    for (const trigger of rules.severity) {
      if (trigger.allOf.every((name) => firedNames.has(name))) {
        firedTriggers.push(trigger.id);
        trace.push({ id: trigger.id, why: trigger.why });
      }
    }
    const severity: Severity = firedTriggers.length > 0 ? 'major' : 'normal';
    const judged = severity === 'major' ? expressLane(firedTriggers, certain, trace) : null;
    const lane = context?.currentLane ? keptLane(judged, context.currentLane, where, trace) : judged;

    const jurisdiction: RoutingDecision['jurisdiction'] = {
      cityCode: where.cityCode,
      names: where.names,
      resolution: where.how,
    };
    if (where.countyCode) jurisdiction.countyCode = where.countyCode;
    if (where.townCode) jurisdiction.townCode = where.townCode;
    if (where.villageCode) jurisdiction.villageCode = where.villageCode;

    const base: DecisionBase = {
      jurisdiction,
      category,
      severity,
      expressLane: lane,
      trace: {
        rulesVersion: rules.version,
        rules: trace,
        place: {
          how: where.how,
          evidence: where.evidence,
          candidates: where.candidates.map((c) => `${c.code} ${c.label}`),
        },
        category: { source: classified.source, confidence: classified.confidence },
      },
    };

    // No named closures in here: tsx (esbuild keepNames) wraps each in a defineProperty call on every decision.

    // A route that names no category needs none (a threat to jump from a roof goes to the police station whatever
    // the quarrel was about): an uncertain category sends to triage only a dispute no such route takes.
    const route = rules.routes.find(
      (r) => (categoryKnown || !r.when.categories) && holds(r.when, category, severity, firedNames),
    );
    if (!categoryKnown && !route) {
      return toTriage(
        base,
        certain,
        now,
        dispute,
        trace,
        classified.source === 'default'
          ? 'no category: the channel gave none and the text names nothing we recognise'
          : `category uncertain: ${classified.code} at confidence ${classified.confidence} < ${rules.triage.minCategoryConfidence}`,
      );
    }

    if (!route)
      return toTriage(base, certain, now, dispute, trace, `no route for ${category} at severity ${severity}`);
    trace.push({ id: route.id, why: route.why });

    const leadDivision = assigneeDivision(where, route.lead);
    const lead = leadDivision ? departments.find(leadDivision, route.lead.kind) : undefined;
    if (!lead) {
      const missing = route.lead.level === 'township' ? 'town' : 'county';
      const placeNote =
        where.how === 'ambiguous'
          ? `the place is ambiguous (${where.candidates.map((c) => c.label).join(' / ')})`
          : `the place is known only to ${where.names.join('')}`;
      return toTriage(
        base,
        certain,
        now,
        dispute,
        trace,
        leadDivision
          ? `no ${route.lead.kind} in the directory for ${leadDivision}`
          : `${route.lead.kind} leads ${category} but needs a ${missing}: ${placeNote}`,
      );
    }

    const coHandlers: Department[] = [];
    const dropped: string[] = [];
    addCoHandlers(route.coHandlers, where, lead, coHandlers, dropped);
    for (const join of rules.joins) {
      if (!holds(join.when, category, severity, firedNames)) continue;
      trace.push({ id: join.id, why: join.why });
      addCoHandlers(join.coHandlers, where, lead, coHandlers, dropped);
    }
    if (dropped.length > 0) {
      trace.push({ id: 'co-handlers.dropped', why: `no town/county certain for ${dropped.join(', ')}` });
    }
    trace.push({ id: 'sla.route', why: `${route.id}: ${describeDuration(route.sla)}` });

    return assemble(base, lead, coHandlers, dueAt(now, route.sla, dispute, trace), null);
  }

  return { rulesVersion: rules.version, departments, decide };
}
