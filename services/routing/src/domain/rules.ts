import { readFileSync } from 'node:fs';
import { CategoryCode, Channel, DepartmentKind, Level, Severity } from '@huijie/contracts/vocabulary.ts';
import { z } from 'zod';

/**
 * The routing rules as data (data/rules.v<N>.json): which signals make a dispute major, which express
 * lane it enters, which department leads and who joins, in how long. Validated once at start-up so a bad
 * edit stops the service with the path of the mistake instead of routing wrongly.
 */

const Id = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/, 'a dotted lower-case id like route.labor');
const SignalName = z.string().regex(/^[a-z][a-zA-Z0-9]*$/, 'a camelCase signal name');
const Why = z.string().min(3);

const Duration = z.union([
  z.strictObject({ hours: z.number().positive() }),
  z.strictObject({ days: z.number().positive() }),
]);
export type Duration = z.infer<typeof Duration>;

/** A fact about a dispute, read from its channel, revision, amount or words. It fires when any criterion does. */
const Signal = z.strictObject({
  why: Why,
  phrases: z.array(z.string().min(1)).default([]),
  channels: z.array(Channel).default([]),
  minRevision: z.number().int().min(2).optional(),
  minAmountYuan: z.number().positive().optional(),
  minPeople: z.number().int().min(2).optional(),
});
export type Signal = z.infer<typeof Signal>;

/** Makes the dispute major when all its signals fire. */
const SeverityTrigger = z.strictObject({ id: Id, why: Why, allOf: z.array(SignalName).min(1) });

/** Express lane (书记直通车): the first lane whose condition holds decides the level. */
const ExpressLane = z
  .strictObject({
    id: Id,
    level: Level,
    why: Why,
    anyOf: z.array(Id).default([]),
    minTriggers: z.number().int().min(1).optional(),
  })
  .refine((lane) => lane.anyOf.length > 0 || lane.minTriggers !== undefined, {
    message: 'an express lane needs anyOf or minTriggers',
  });

const Assignee = z.strictObject({ kind: DepartmentKind, level: z.enum(['county', 'township']) });
export type Assignee = z.infer<typeof Assignee>;

const When = z.strictObject({
  categories: z.array(CategoryCode).min(1).optional(),
  severity: Severity.optional(),
  signals: z.array(SignalName).default([]),
});
export type When = z.infer<typeof When>;

/** The first route whose `when` holds names the lead, the co-handlers and the SLA. */
const Route = z.strictObject({
  id: Id,
  why: Why,
  when: When,
  lead: Assignee,
  coHandlers: z.array(Assignee).default([]),
  sla: Duration,
});
export type Route = z.infer<typeof Route>;

/** Joint handling (联动) added on top of the route: every join whose `when` holds adds its co-handlers. */
const Join = z.strictObject({ id: Id, why: Why, when: When, coHandlers: z.array(Assignee).min(1) });
export type Join = z.infer<typeof Join>;

const CategoryLexicon = z.strictObject({
  /** The channel's own classification: exact names (12345 classifications, court 案由) first… */
  channelNames: z.record(z.string().min(1), CategoryCode),
  /** …then the first phrase contained in the name (order matters: specific before generic). */
  channelContains: z.array(z.tuple([z.string().min(1), CategoryCode])),
  /** Text model: category → phrase → weight. Each phrase counts once per dispute. */
  textPhrases: z.partialRecord(CategoryCode, z.record(z.string().min(1), z.number().positive())),
  /** Score at which the text evidence is considered strong (confidence saturates). */
  saturation: z.number().positive(),
});
export type CategoryLexicon = z.infer<typeof CategoryLexicon>;

const RulesFile = z.strictObject({
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'a semantic version like 1.0.0'),
  description: z.string().optional(),
  triage: z.strictObject({ minCategoryConfidence: z.number().min(0).max(1), sla: Duration }),
  signals: z.record(SignalName, Signal),
  severity: z.array(SeverityTrigger),
  expressLanes: z.array(ExpressLane),
  routes: z.array(Route).min(1),
  joins: z.array(Join).default([]),
  categories: CategoryLexicon,
});
export type Rules = z.infer<typeof RulesFile>;

export class RulesError extends Error {
  override readonly name = 'RulesError';
}

/** The references zod cannot see: unknown signals/triggers, duplicate ids, categories no route serves. */
function crossCheck(rules: Rules): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const claim = (id: string, path: string) => {
    const first = seen.get(id);
    if (first) problems.push(`${path}.id: "${id}" is already used at ${first}`);
    else seen.set(id, path);
  };
  const knownSignal = (name: string, path: string) => {
    if (!(name in rules.signals)) problems.push(`${path}: unknown signal "${name}"`);
  };
  rules.severity.forEach((trigger, i) => {
    claim(trigger.id, `severity[${i}]`);
    trigger.allOf.forEach((name, j) => {
      knownSignal(name, `severity[${i}].allOf[${j}]`);
    });
  });
  const triggerIds = new Set(rules.severity.map((t) => t.id));
  rules.expressLanes.forEach((lane, i) => {
    claim(lane.id, `expressLanes[${i}]`);
    lane.anyOf.forEach((id, j) => {
      if (!triggerIds.has(id))
        problems.push(`expressLanes[${i}].anyOf[${j}]: unknown severity trigger "${id}"`);
    });
  });
  rules.routes.forEach((route, i) => {
    claim(route.id, `routes[${i}]`);
    route.when.signals.forEach((name, j) => {
      knownSignal(name, `routes[${i}].when.signals[${j}]`);
    });
  });
  rules.joins.forEach((join, i) => {
    claim(join.id, `joins[${i}]`);
    join.when.signals.forEach((name, j) => {
      knownSignal(name, `joins[${i}].when.signals[${j}]`);
    });
  });
  // Every category, at either severity, must reach some route without needing a signal: else a plain
  // dispute of that category would fall through to triage for a reason no operator could act on.
  for (const category of CategoryCode.options) {
    for (const severity of Severity.options) {
      const served = rules.routes.some(
        (r) =>
          r.when.signals.length === 0 &&
          (!r.when.categories || r.when.categories.includes(category)) &&
          (!r.when.severity || r.when.severity === severity),
      );
      if (!served)
        problems.push(
          `routes: no route without signals serves category "${category}" at severity "${severity}"`,
        );
    }
  }
  return problems;
}

/** Parses and checks a rules document; throws a RulesError naming the file and every bad path. */
export function parseRules(json: unknown, source = 'rules'): Rules {
  const parsed = RulesFile.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `  ${path.replace(/^\./, '') || '(root)'}: ${issue.message}`;
    });
    throw new RulesError(`${source} is not a valid rules file:\n${lines.join('\n')}`);
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) {
    throw new RulesError(`${source} is not a valid rules file:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return parsed.data;
}

export const defaultRulesFile = new URL('../../data/rules.v1.json', import.meta.url);

export function loadRules(file: URL | string = defaultRulesFile): Rules {
  const name = typeof file === 'string' ? file : file.pathname;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RulesError(`${name} cannot be read as JSON: ${(error as Error).message}`);
  }
  return parseRules(json, name);
}

export function durationMs(duration: Duration): number {
  return 'hours' in duration ? duration.hours * 3_600_000 : duration.days * 86_400_000;
}

export function describeDuration(duration: Duration): string {
  return 'hours' in duration ? `${duration.hours} h` : `${duration.days} d`;
}
