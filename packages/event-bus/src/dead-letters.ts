import { dlqHeaders, redriveHeaders } from '@huijie/contracts/cloudevents.ts';
import { deadLetterTopic, topics } from '@huijie/contracts/topics.ts';
import type { Engine, RawMessage, RawRecord } from './engine.ts';
import { eventOf } from './runner.ts';

/**
 * The dead letters a consumer group parked (runner.ts), looked at and sent again once what made
 * them fail is mended. What is shown of each is what its log line showed: where it came from, why,
 * the event's type and id — never its value, which may hold names and phone numbers.
 */
export interface DeadLetter {
  /** Where it is parked: `<topic>.dlq`, partition, offset. */
  topic: string;
  partition: number;
  offset: string;
  /** The consumer group that parked it (null if its headers do not say: it is never sent again). */
  group: string | null;
  /** The topic it was read from, and where. */
  from: { topic: string; partition: string; offset: string };
  eventType?: string;
  eventId?: string;
  attempts: string;
  reason: string;
  failedAt: string;
  /** Sent again already: `redrive` sends each dead letter of a group once. */
  redriven: boolean;
}

/** Every topic a platform group consumes, so every topic that may have a dead-letter topic. */
export const consumedTopics: readonly string[] = Object.values(topics);

export interface Selection {
  /** One consumer group's dead letters only. */
  group?: string | undefined;
  /** The dead letters of one consumed topic only (its `.dlq`). */
  topic?: string | undefined;
}

/** Every dead letter kept on the dead-letter topics of the selection, oldest first per partition. */
export async function listDeadLetters(engine: Engine, selection: Selection = {}): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  for (const topic of selected(selection)) {
    const { letters } = await readDeadLetters(engine, deadLetterTopic(topic), undefined);
    found.push(
      ...letters.filter((letter) => selection.group === undefined || letter.group === selection.group),
    );
  }
  return found;
}

/**
 * Sends a group's dead letters not sent yet back to the topics they came from, each for that group
 * alone (other groups handled it the first time: the runner has them skip it), then marks them
 * sent. Each is the message as it came, with its key (so its partition) and its event id — and it
 * is a late event: it comes after what its key has had since. A handler that keeps only the latest
 * of something in the order events come (the WeChat tracking page's status) shows the older one
 * until the key's next event. One that fails again is parked again, a new dead letter.
 */
export async function redrive(
  engine: Engine,
  selection: Selection & { group: string },
  options: { dryRun?: boolean } = {},
): Promise<DeadLetter[]> {
  const sent: DeadLetter[] = [];
  for (const topic of selected(selection)) {
    const parked = deadLetterTopic(topic);
    const { letters, messages, nextOffsets } = await readDeadLetters(engine, parked, selection.group);
    const records: RawRecord[] = [];
    for (const letter of letters) {
      if (letter.group !== selection.group || letter.redriven) continue;
      sent.push({ ...letter, redriven: !options.dryRun });
      const message = messages.get(`${letter.partition}/${letter.offset}`)!;
      records.push({
        // The topic the dead-letter topic is of, never a header's say: a header is the producer's text.
        topic,
        key: message.key,
        value: message.value,
        headers: {
          ...withoutRedriveHeaders(message.headers),
          [redriveHeaders.group]: selection.group,
          [redriveHeaders.from]: `${parked}/${letter.partition}/${letter.offset}`,
        },
      });
    }
    if (options.dryRun || records.length === 0) continue;
    await engine.produce(records);
    // Then the marks, on the dead-letter topic itself, one in each partition read: a partition
    // loses its oldest records first, so a mark is kept as long as the dead letters before it.
    // Stopped before them, the next redrive sends these again.
    await engine.produce(
      [...nextOffsets].map(([partition, next]) => ({
        topic: parked,
        partition,
        key: `redriven.${selection.group}`,
        value: Buffer.from(JSON.stringify({ group: selection.group, through: { [partition]: next } })),
        headers: { [redriveHeaders.mark]: selection.group },
      })),
    );
  }
  return sent;
}

/**
 * A dead-letter topic's letters, which of them were sent again, and where each partition ends as
 * read; the messages themselves (names and phone numbers among them) only of the group `keepOf`.
 */
async function readDeadLetters(engine: Engine, parked: string, keepOf: string | undefined) {
  const letters: Omit<DeadLetter, 'redriven'>[] = [];
  const messages = new Map<string, RawMessage>();
  /** Per group, per partition, the offset up to which its dead letters were sent again. */
  const marks = new Map<string, Map<number, bigint>>();
  const nextOffsets = new Map<number, string>();
  await engine.read(parked, (message) => {
    nextOffsets.set(message.partition, (BigInt(message.offset) + 1n).toString());
    const markOf = message.headers[redriveHeaders.mark];
    if (markOf !== undefined) {
      const mark = marks.get(markOf) ?? new Map<number, bigint>();
      for (const [partition, next] of markedThrough(message)) {
        if (next > (mark.get(partition) ?? 0n)) mark.set(partition, next);
      }
      marks.set(markOf, mark);
      return;
    }
    const letter = describe(message);
    letters.push(letter);
    if (letter.group !== null && letter.group === keepOf)
      messages.set(`${message.partition}/${message.offset}`, message);
  });
  return {
    letters: letters.map(
      (letter): DeadLetter => ({
        ...letter,
        redriven:
          letter.group !== null &&
          BigInt(letter.offset) < (marks.get(letter.group)?.get(letter.partition) ?? 0n),
      }),
    ),
    messages,
    nextOffsets,
  };
}

/** What a mark says, per partition: the next offset not sent yet. A mark not of this shape says nothing. */
function markedThrough(message: RawMessage): [number, bigint][] {
  try {
    const { through } = JSON.parse(message.value.toString('utf8')) as { through: Record<string, string> };
    return Object.entries(through).map(([partition, next]) => [Number(partition), BigInt(next)]);
  } catch {
    return [];
  }
}

function selected(selection: Selection): readonly string[] {
  if (selection.topic === undefined) return consumedTopics;
  if (!consumedTopics.includes(selection.topic))
    throw new Error(`${selection.topic} is not a topic the platform consumes (${consumedTopics.join(', ')})`);
  return [selection.topic];
}

function describe(message: RawMessage): Omit<DeadLetter, 'redriven'> {
  const header = (name: string) => message.headers[name] ?? '';
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    group: message.headers[dlqHeaders.group] ?? null,
    from: {
      topic: header(dlqHeaders.topic),
      partition: header(dlqHeaders.partition),
      offset: header(dlqHeaders.offset),
    },
    ...eventOf(message),
    attempts: header(dlqHeaders.attempts),
    reason: header(dlqHeaders.error),
    failedAt: header(dlqHeaders.failedAt),
  };
}

/** The headers as the message first came: those of its parking, and of any earlier redrive, left off. */
function withoutRedriveHeaders(headers: Record<string, string>): Record<string, string> {
  const added = new Set<string>([...Object.values(dlqHeaders), ...Object.values(redriveHeaders)]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !added.has(name)));
}
