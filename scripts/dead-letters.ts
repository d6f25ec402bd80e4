/**
 * The dead letters: messages a consumer group parked on `<topic>.dlq` (bad, or failing five times),
 * listed, then sent again once what made them fail is mended.
 *
 *   npx tsx scripts/dead-letters.ts list [--group=cases] [--topic=dispute.intake.v1]
 *   npx tsx scripts/dead-letters.ts redrive --group=cases [--topic=dispute.intake.v1] [--dry-run]
 *
 * `list` shows each one kept: where it is parked, when, the group, the topic and offset it was read
 * from, its event's type and id, the attempts, the reason, and whether it has been sent again —
 * never its content (names, phone numbers). `redrive` sends every dead letter of the group not sent
 * yet back to its topic, for that group alone, and marks it sent (a second redrive sends only what
 * was parked since). One that fails again is parked again and shows up as a new dead letter.
 *
 * Where: the Kafka cluster with KAFKA_BROKERS (KAFKA_NAMESPACE as the services'), else the
 * standalone platform's log in DATA_DIR (default ./data) while `npm start` is stopped: it takes the
 * platform's lock on the directory, and what it sends is consumed when the platform starts again.
 * Exit code 0: done; 1: it could not run.
 */
import { consumedTopics, type DeadLetter, listDeadLetters, redrive } from '@huijie/event-bus/dead-letters.ts';
import { openToolEventLog } from '@huijie/service-kit/tool-event-log.ts';

const usage = `usage:
  npx tsx scripts/dead-letters.ts list [--group=<consumer group>] [--topic=<topic>]
  npx tsx scripts/dead-letters.ts redrive --group=<consumer group> [--topic=<topic>] [--dry-run]
topics: ${consumedTopics.join(', ')}`;

const [command, ...rest] = process.argv.slice(2);
const options = new Map<string, string>();
for (const arg of rest) {
  const match = /^--(group|topic|dry-run)(?:=(.+))?$/.exec(arg);
  if (!match || (match[1] === 'dry-run') !== (match[2] === undefined)) fail(`not an option here: ${arg}`);
  options.set(match[1]!, match[2] ?? '');
}
const group = options.get('group');
const topic = options.get('topic');
const dryRun = options.has('dry-run');
if (command !== 'list' && command !== 'redrive') fail(command ? `no command ${command}` : 'which command?');
if (command === 'redrive' && group === undefined)
  fail('redrive needs --group: each group sends its own again');
if (command === 'list' && dryRun) fail('--dry-run is for redrive');
if (topic !== undefined && !consumedTopics.includes(topic))
  fail(`${topic} is not a topic the platform consumes`);

let close: (() => Promise<void>) | undefined;
try {
  const log = await openToolEventLog({
    service: 'dead-letters',
    holder: 'the dead-letters command',
    existingOnly: true,
  });
  close = () => log.close();
  console.error(`dead letters in ${log.where}`);
  const engine = log.bus.engine;
  if (command === 'list') {
    const letters = await listDeadLetters(engine, { group, topic });
    printTable(letters);
    const waiting = letters.filter((letter) => !letter.redriven);
    console.error(
      `${letters.length} dead letter${letters.length === 1 ? '' : 's'}: ${waiting.length} not sent again` +
        (waiting.length > 0 ? ` (${countBy(waiting, (letter) => letter.group ?? '[unknown]')})` : ''),
    );
  } else {
    const sent = await redrive(engine, { group: group!, topic }, { dryRun });
    printTable(sent);
    console.error(
      `${dryRun ? 'would send' : 'sent'} ${sent.length} dead letter${sent.length === 1 ? '' : 's'} of ${group} again` +
        (sent.length > 0 ? ` (${countBy(sent, (letter) => letter.from.topic)})` : '') +
        (dryRun ? ': dry run, nothing sent' : ''),
    );
  }
  await close();
  process.exit(0);
} catch (error) {
  console.error(`dead letters: ${(error as Error).message}`);
  await close?.().catch(() => {});
  process.exit(1);
}

function fail(problem: string): never {
  console.error(`${problem}\n${usage}`);
  process.exit(1);
}

/** One line each, tab-separated under a header: readable in a terminal, and by a spreadsheet. */
function printTable(letters: DeadLetter[]): void {
  if (letters.length === 0) return;
  const rows = letters.map((letter) => [
    `${letter.topic}/${letter.partition}/${letter.offset}`,
    letter.failedAt,
    letter.group ?? '[unknown]',
    `${letter.from.topic}/${letter.from.partition}/${letter.from.offset}`,
    letter.eventType ?? '',
    letter.eventId ?? '',
    letter.attempts,
    letter.redriven ? 'sent again' : 'parked',
    // A reason is one line in the table.
    letter.reason.replace(/\s+/g, ' '),
  ]);
  const header = [
    'parked at',
    'failed at',
    'group',
    'read from',
    'event type',
    'event id',
    'attempts',
    'state',
    'reason',
  ];
  for (const row of [header, ...rows]) console.log(row.join('\t'));
}

function countBy(letters: DeadLetter[], keyOf: (letter: DeadLetter) => string): string {
  const counts = new Map<string, number>();
  for (const letter of letters) counts.set(keyOf(letter), (counts.get(keyOf(letter)) ?? 0) + 1);
  return [...counts].map(([key, n]) => `${key} ${n}`).join(', ');
}
