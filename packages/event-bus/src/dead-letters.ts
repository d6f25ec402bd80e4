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
  /** The consumer group that parked it ('[unknown]' if its headers do not say). */
  group: string;
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

/**
 * How far a group's dead letters on a dead-letter topic have been sent again, kept as the committed
 * offsets of a group of its own that never consumes: per partition, the next not yet sent.
 */
export function redrivenMark(group: string): string {
  return `dead-letters.redriven.${group}`;
}

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
    const parked = deadLetterTopic(topic);
    // Asked once there is a dead letter of the group: Kafka has no offsets of a topic that does not exist.
    const marks = new Map<string, Map<number, string>>();
    const markOf = async (group: string) => {
      let mark = marks.get(group);
      if (!mark) {
        mark = await engine.committedOffsets(redrivenMark(group), parked);
        marks.set(group, mark);
      }
      return mark;
    };
    await engine.read(parked, async (message) => {
      const letter = describe(message);
      if (selection.group !== undefined && letter.group !== selection.group) return;
      const next = (await markOf(letter.group)).get(message.partition) ?? '0';
      found.push({ ...letter, redriven: BigInt(message.offset) < BigInt(next) });
    });
  }
  return found;
}

/**
 * Sends a group's dead letters not sent yet back to the topics they came from, each for that group
 * alone (other groups handled it the first time: the runner has them skip it), then marks them
 * sent. Each is the message as it came, with its key (so its partition) and its event id: handled
 * as a message read twice after a crash is (the platform's handlers are idempotent), so one sent
 * twice — a redrive stopped between sending and marking — changes nothing more. It comes after what
 * its key has had since, as any late event does. One that fails again is parked again, a new dead letter.
 */
export async function redrive(
  engine: Engine,
  selection: Selection & { group: string },
  options: { dryRun?: boolean } = {},
): Promise<DeadLetter[]> {
  const sent: DeadLetter[] = [];
  for (const topic of selected(selection)) {
    const parked = deadLetterTopic(topic);
    // Asked once there is a dead letter: Kafka has no offsets of a topic that does not exist.
    let mark: Map<number, string> | undefined;
    const records: RawRecord[] = [];
    const read = new Map<number, string>();
    await engine.read(parked, async (message) => {
      read.set(message.partition, (BigInt(message.offset) + 1n).toString());
      const letter = describe(message);
      if (letter.group !== selection.group) return;
      mark ??= await engine.committedOffsets(redrivenMark(selection.group), parked);
      if (BigInt(message.offset) < BigInt(mark.get(message.partition) ?? '0')) return;
      sent.push({ ...letter, redriven: !options.dryRun });
      records.push({
        // The topic the dead-letter topic is of, never a header's say: a header is the producer's text.
        topic,
        key: message.key,
        value: message.value,
        headers: {
          ...withoutRedriveHeaders(message.headers),
          [redriveHeaders.group]: selection.group,
          [redriveHeaders.from]: `${parked}/${message.partition}/${message.offset}`,
        },
      });
    });
    if (options.dryRun || read.size === 0) continue;
    // Sent, then marked: stopped in between, the next redrive sends them again (see above).
    await engine.produce(records);
    await engine.commitOffsets(redrivenMark(selection.group), parked, read);
  }
  return sent;
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
    group: message.headers[dlqHeaders.group] ?? '[unknown]',
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
