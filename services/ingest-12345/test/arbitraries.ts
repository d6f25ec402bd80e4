import fc from 'fast-check';
import { intakeChannels, requestTypes, urgencies } from '../src/work-order.ts';

/** A code or any of its Chinese labels, sometimes in capitals or with spaces around. */
const spelledCode = (labels: Record<string, readonly string[]>) =>
  fc
    .tuple(
      fc.constantFrom(...Object.entries(labels).flatMap(([code, aliases]) => [code, ...aliases])),
      fc.constantFrom('plain', 'upper', 'padded'),
    )
    .map(([value, how]) => (how === 'upper' ? value.toUpperCase() : how === 'padded' ? ` ${value} ` : value));

const chinese = fc.constantFrom(
  '老板拖欠工资3800元',
  '邻居装修噪音扰民',
  '物业乱收费',
  '法院判决后对方拒不赔偿',
  '宅基地边界争议',
  '交通事故赔偿未到位',
  '请政府帮忙',
  '。',
  '，',
);
/** Text as callers and operators write it: Chinese phrases, any Unicode, emoji, line breaks. */
const text = (maxParts: number) =>
  fc
    .array(fc.oneof({ arbitrary: chinese, weight: 3 }, fc.string({ unit: 'grapheme', maxLength: 20 })), {
      minLength: 1,
      maxLength: maxParts,
    })
    .map((parts) => parts.join(''))
    .filter((value) => value.trim().length > 0);

const orderNo = fc.oneof(
  // A small pool, so that repeats and updates of one order happen in a run.
  { arbitrary: fc.integer({ min: 1, max: 30 }).map((n) => `GD2024${String(n).padStart(4, '0')}`), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), weight: 2 },
);

/** '' is no offset at all, as Java's LocalDateTime writes a time: China time. */
const offset = fc.constantFrom('Z', '+08:00', '+00:00', '-05:00', '+05:30', '');
/** An instant in 2015–2030, written with an offset (or as China time without one), sometimes with milliseconds. */
const instant = (min = Date.UTC(2015, 0, 1)) =>
  fc
    .tuple(fc.integer({ min, max: Date.UTC(2030, 0, 1) }), offset, fc.boolean())
    .map(([ms, zone, millis]) => isoWithOffset(ms, zone, millis));

function isoWithOffset(ms: number, zone: string, millis: boolean): string {
  const minutes =
    zone === 'Z'
      ? 0
      : zone === ''
        ? 8 * 60
        : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const local = new Date(ms + minutes * 60_000).toISOString().replace('Z', '');
  return `${millis ? local : local.slice(0, 19)}${zone}`;
}

const phone = fc.oneof(
  fc.stringMatching(/^1[3-9]\d{9}$/),
  fc.stringMatching(/^0597-\d{7}$/),
  fc.stringMatching(/^\+861[3-9]\d{9}$/),
);

const caller = fc.oneof(
  fc.record({ name: text(2), phone, confidential: fc.boolean() }, { requiredKeys: ['phone'] }),
  fc.record(
    { anonymous: fc.constant(true), phone, name: fc.constantFrom('匿名', '市民') },
    { requiredKeys: ['anonymous'] },
  ),
);

const divisionCode = fc.constantFrom(
  '350800',
  '350802',
  '350803',
  '350802107',
  '350803102',
  '350821100',
  '350881',
);
const location = fc.oneof(
  fc.record({ address: text(3) }),
  fc.record({ divisionCode }),
  fc.record({ address: text(3), divisionCode }),
);

const levelName = fc
  .oneof(
    fc.constantFrom('劳动保障', '欠薪', '城乡建设', '物业管理', '政法', '涉法涉诉', '邻里纠纷'),
    text(1).map((value) => value.slice(0, 100)),
  )
  .filter((value) => value.trim().length > 0);
const category = fc.oneof(
  fc.record({ code: fc.stringMatching(/^\d{2,8}$/), name: levelName }, { requiredKeys: [] }),
  fc.record({
    levels: fc.array(
      fc.record({ code: fc.stringMatching(/^\d{2,8}$/), name: levelName }, { requiredKeys: ['name'] }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  }),
);

const attachment = fc.record(
  { url: fc.webUrl({ validSchemes: ['https', 'http'] }), name: text(1).map((value) => value.slice(0, 200)) },
  { requiredKeys: ['url'] },
);

/** A work order the documentation says is valid: every one of them must be accepted. */
export const validOrder = fc
  .record(
    {
      orderNo,
      // 受理时间 is never in the future (a fixed past bound, so that a run is the same on any day).
      receivedAtMs: fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2026, 0, 1) }),
      zone: offset,
      intakeChannel: spelledCode(intakeChannels),
      requestType: spelledCode(requestTypes),
      category,
      title: text(2).map((value) => value.slice(0, 200)),
      content: text(12),
      caller,
      location,
      urgency: spelledCode(urgencies),
      dueInMs: fc.integer({ min: 0, max: 90 * 24 * 3600_000 }),
      reminder: fc.record(
        { count: fc.integer({ min: 1, max: 20 }), lastAt: instant(), note: text(2) },
        { requiredKeys: ['count'] },
      ),
      attachments: fc.array(attachment, { maxLength: 3 }),
    },
    { requiredKeys: ['orderNo', 'receivedAtMs', 'zone', 'content', 'caller', 'location'] },
  )
  .map(({ receivedAtMs, zone, dueInMs, ...order }) => ({
    ...order,
    receivedAt: isoWithOffset(receivedAtMs, zone, false),
    ...(dueInMs !== undefined && { dueAt: isoWithOffset(receivedAtMs + dueInMs, '+08:00', false) }),
  }));

/** Values that break assumptions: wrong types, empties, extremes, prototype keys, look-alikes. */
const oddValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, '', ' ', '\u3000', '\u0000', '0', 'null', [], {}),
  fc.constantFrom('2024-02-30T10:00:00+08:00', '2024-08-24T09:30:00', '9999-12-31T23:59:59Z', '2024-08-24'),
  fc.constantFrom('javascript:alert(1)', 'ftp://a.example/x', '//a.example', 'https://', 'data:text/html,x'),
  fc.constantFrom('投诉', '表扬', 'very_urgent', 'PHONE', '微信', '3508', '35080210712', '350802107001'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 190, maxLength: 260 }),
  fc.integer({ min: 1, max: 25_000 }).map((n) => '欠'.repeat(n)),
  fc.jsonValue({ maxDepth: 2 }),
);

type Path = (string | number)[];

/** Every place in a JSON value a mutation can reach (the root too). */
function placesIn(value: unknown, path: Path = []): Path[] {
  const children =
    Array.isArray(value) || (value !== null && typeof value === 'object')
      ? Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
          placesIn(child, [...path, Array.isArray(value) ? Number(key) : key]),
        )
      : [];
  return [path, ...children];
}

type Change =
  | { op: 'remove'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'extra'; at: number; key: string; value: unknown }
  | { op: 'wrap'; at: number }
  | { op: 'stringify'; at: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: oddValue }),
  fc.record({
    op: fc.constant('extra' as const),
    at: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toJSON'),
    ),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({ op: fc.constant('wrap' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('stringify' as const), at: fc.nat() }),
);

function applyChange(root: unknown, edit: Change): unknown {
  const places = placesIn(root);
  const path = places[edit.at % places.length]!;
  const current = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root);
  // A copy of the change's value, never the value itself: later changes edit the order in place, and
  // a generated value is not ours to edit (oddValue's `[]` and `{}` are one object each for the whole
  // file: edited, `{}` kept what one run put in it, and once it held itself no payload could be made).
  const value = 'value' in edit ? structuredClone(edit.value) : undefined;
  const replacement = (): unknown => {
    switch (edit.op) {
      case 'set':
        return value;
      case 'wrap':
        return [current];
      case 'stringify':
        return JSON.stringify(current) ?? '';
      case 'extra':
        if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
          // defineProperty: a plain assignment of "__proto__" would change the prototype, not add a key.
          Object.defineProperty(current, edit.key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          return current;
        }
        return value;
      case 'remove':
        return undefined;
    }
  };
  if (path.length === 0) return edit.op === 'remove' ? {} : replacement();
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root) as Record<
    string | number,
    unknown
  >;
  const last = path[path.length - 1]!;
  if (edit.op === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement();
  return root;
}

/** A valid order with one to four things done to it: some stay valid, most do not. */
export const mutatedOrder = fc
  .tuple(validOrder, fc.array(change, { minLength: 1, maxLength: 4 }))
  .map(([order, changes]) => changes.reduce(applyChange, structuredClone(order) as unknown));

/**
 * A few fixed orders pushed again and again (as hotline systems retry), sometimes with the keys
 * in another order: the duplicates of a run.
 */
const replayed = fc.sample(validOrder, { numRuns: 20, seed: 12345 });
export const repeatedOrder = fc
  .tuple(fc.integer({ min: 0, max: replayed.length - 1 }), fc.boolean())
  .map(([index, reorder]) => (reorder ? reverseKeys(replayed[index]) : replayed[index]));

/** What a hotline system might push: valid, repeated and broken orders, and JSON that is no order at all. */
export const anyOrderBody = fc.oneof(
  { arbitrary: validOrder, weight: 2 },
  { arbitrary: repeatedOrder, weight: 1 },
  { arbitrary: mutatedOrder, weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

/** Raw request bodies: mostly JSON of the above, some bytes that are not JSON at all. */
export const anyRawBody = fc.oneof(
  { arbitrary: anyOrderBody.map((body) => JSON.stringify(body) ?? 'undefined'), weight: 15 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
);

/** The same JSON value with the keys of every object in reverse order. */
export function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value).reverse())
      Object.defineProperty(out, key, {
        value: reverseKeys(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}
