import { EventEmitter, setMaxListeners } from 'node:events';
import { defaultPartitions } from '@huijie/contracts/topics.ts';
import type { SqlClient } from '@huijie/database/sql-client.ts';
import type { Engine, EngineSubscription, RawHandler, RawMessage, RawRecord } from '../engine.ts';
import { consumerStopSignal, defaultConcurrency, runKeyOrdered, Slots, windowFor } from '../key-ordered.ts';
import { partitionFor } from './partitioner.ts';

/**
 * The embedded engine: a durable, partitioned log in PostgreSQL (PGlite in standalone mode),
 * with per-group committed offsets, so the standalone platform keeps the guarantees of Kafka
 * that the services rely on — at-least-once, per-key order, resume after a crash — without a
 * broker. Groups are coordinated inside this process: it is for one process, not a cluster.
 */
export function createEmbeddedEngine(sql: SqlClient, options: { pollIntervalMs?: number } = {}): Engine {
  // What this engine appends wakes its readers at once (`appended`); the poll is only for what
  // another engine on the same database appends (a test, an import run against a stopped platform).
  const pollIntervalMs = options.pollIntervalMs ?? 2_000;
  const appended = new EventEmitter().setMaxListeners(0);
  /** Appends so far, per topic: a reader that saw none new since its read waits, otherwise it reads again. */
  const appends = new Map<string, number>();
  const partitionCounts = new Map<string, number>();
  const groups = new Map<string, Group>();
  const closing = new AbortController();
  // Every idle partition reader listens for the close: there are many by design.
  setMaxListeners(0, closing.signal);
  let ready: Promise<void> | undefined;

  function init(): Promise<void> {
    ready ??= sql
      .transaction(async (tx) => {
        await tx.query('CREATE SCHEMA IF NOT EXISTS bus');
        await tx.query(`CREATE TABLE IF NOT EXISTS bus.partitions (
          topic TEXT NOT NULL, partition INT NOT NULL, next_offset BIGINT NOT NULL DEFAULT 0,
          PRIMARY KEY (topic, partition))`);
        await tx.query(`CREATE TABLE IF NOT EXISTS bus.messages (
          topic TEXT NOT NULL, partition INT NOT NULL, "offset" BIGINT NOT NULL,
          key TEXT NOT NULL, value BYTEA NOT NULL, headers JSONB NOT NULL,
          appended_at TIMESTAMPTZ NOT NULL DEFAULT now(),
          PRIMARY KEY (topic, partition, "offset"))`);
        await tx.query(`CREATE TABLE IF NOT EXISTS bus.offsets (
          group_id TEXT NOT NULL, topic TEXT NOT NULL, partition INT NOT NULL, next_offset BIGINT NOT NULL,
          PRIMARY KEY (group_id, topic, partition))`);
      })
      .catch((error) => {
        ready = undefined;
        throw error;
      });
    return ready;
  }

  async function partitionsOf(topic: string, create: number = defaultPartitions): Promise<number> {
    const known = partitionCounts.get(topic);
    if (known) return known;
    await init();
    // Like a broker with auto-create on: the first writer or reader of a topic creates it.
    await sql.query(
      `INSERT INTO bus.partitions (topic, partition) SELECT $1, p FROM generate_series(0, $2::int - 1) p
       ON CONFLICT DO NOTHING`,
      [topic, create],
    );
    const { rows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM bus.partitions WHERE topic = $1',
      [topic],
    );
    const count = rows[0]!.n;
    partitionCounts.set(topic, count);
    return count;
  }

  async function produce(records: RawRecord[]): Promise<void> {
    if (records.length === 0) return;
    const placed = new Map<string, { topic: string; partition: number; records: RawRecord[] }>();
    for (const record of records) {
      const partition = record.partition ?? partitionFor(record.key, await partitionsOf(record.topic));
      const id = `${record.topic}\u0000${partition}`;
      const slot = placed.get(id) ?? { topic: record.topic, partition, records: [] };
      slot.records.push(record);
      placed.set(id, slot);
    }
    await sql.transaction(async (tx) => {
      for (const { topic, partition, records: slotRecords } of placed.values()) {
        // The row lock on the partition serialises writers, so offsets are gap-free and ordered.
        const { rows } = await tx.query<{ next_offset: string }>(
          `UPDATE bus.partitions SET next_offset = next_offset + $3
           WHERE topic = $1 AND partition = $2 RETURNING next_offset::text`,
          [topic, partition, slotRecords.length],
        );
        const first = BigInt(rows[0]!.next_offset) - BigInt(slotRecords.length);
        const params: unknown[] = [];
        const values = slotRecords.map((record, i) => {
          params.push(
            topic,
            partition,
            String(first + BigInt(i)),
            record.key,
            record.value,
            JSON.stringify(record.headers),
          );
          const n = i * 6;
          return `($${n + 1}, $${n + 2}, $${n + 3}::bigint, $${n + 4}, $${n + 5}, $${n + 6}::jsonb)`;
        });
        await tx.query(
          `INSERT INTO bus.messages (topic, partition, "offset", key, value, headers) VALUES ${values.join(', ')}`,
          params,
        );
      }
    });
    for (const { topic } of placed.values()) {
      appends.set(topic, (appends.get(topic) ?? 0) + 1);
      appended.emit(topic);
    }
  }

  function groupOf(id: string): Group {
    let group = groups.get(id);
    if (!group) {
      group = new Group(id);
      groups.set(id, group);
    }
    return group;
  }

  /** Until the topic has had an append after the `seen`-th (at once if it already has), the poll, or a stop. */
  function waitForAppend(topic: string, seen: number, signal: AbortSignal): Promise<void> {
    if ((appends.get(topic) ?? 0) !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        appended.off(topic, done);
        signal.removeEventListener('abort', done);
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      appended.once(topic, done);
      signal.addEventListener('abort', done, { once: true });
      closing.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Up to `limit` messages of a partition, from offset `from` on. */
  async function messagesOf(
    topic: string,
    partition: number,
    from: bigint,
    limit: number,
  ): Promise<RawMessage[]> {
    const { rows } = await sql.query<{ position: string; key: string; value: Uint8Array; headers: unknown }>(
      `SELECT m."offset"::text AS position, m.key, m.value, m.headers FROM bus.messages m
       WHERE m.topic = $1 AND m.partition = $2 AND m."offset" >= $3::bigint ORDER BY m."offset" LIMIT $4`,
      [topic, partition, String(from), limit],
    );
    return rows.map((row) => ({
      topic,
      partition,
      offset: row.position,
      key: row.key,
      value: Buffer.from(row.value),
      headers: (typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers) as Record<
        string,
        string
      >,
    }));
  }

  /** Reads one partition for one group, handing its messages to the member it is assigned to: several at once, one key's in order. */
  async function runPartition(
    group: Group,
    topic: string,
    partition: number,
    stop: AbortSignal,
  ): Promise<void> {
    const { rows: committed } = await sql.query<{ next_offset: string }>(
      'SELECT next_offset::text FROM bus.offsets WHERE group_id = $1 AND topic = $2 AND partition = $3',
      [group.id, topic, partition],
    );
    let next = BigInt(committed[0]?.next_offset ?? '0');
    while (!stop.aborted && !closing.signal.aborted) {
      // Counted before the read: an append while it runs is not slept through.
      const seen = appends.get(topic) ?? 0;
      const messages = await messagesOf(topic, partition, next, 100);
      const member = group.assigned(topic, partition);
      if (messages.length === 0 || !member) {
        await waitForAppend(topic, seen, stop);
        continue;
      }
      // As the Kafka engine does: several messages at once, one key's in order; the offset
      // committed once for what was handled, a gap-free prefix.
      let handled = -1;
      let failed = false;
      // A member leaving waits for the whole batch, its commit included: as Kafka's consumer does,
      // it finishes what lies before the furthest message started, so what it leaves behind is
      // exactly what it committed.
      await member.track(async () => {
        try {
          await runKeyOrdered({
            messages,
            keyOf: (message) => message.key,
            slots: member.slots,
            window: windowFor(member.concurrency),
            // Leaving, or the partition given to another member: as on a Kafka rebalance, the
            // batch ends at the furthest message started. No one else reads the partition before
            // it has, so nothing needs abandoning mid-way.
            stopping: () => member.stopping || stop.aborted || group.assigned(topic, partition) !== member,
            abandoned: () => false,
            handledThrough: (index) => {
              handled = index;
            },
            handle: (message) => member.deliver(message),
          });
        } catch {
          // The runner throws only when it could not dead-letter or the member is stopping: the
          // unhandled rest stays uncommitted and is read again.
          failed = true;
        }
        if (handled >= 0) {
          next = BigInt(messages[handled]!.offset) + 1n;
          await sql.query(
            `INSERT INTO bus.offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4::bigint)
             ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
            [group.id, topic, partition, String(next)],
          );
        }
      });
      if (failed) await new Promise((resolve) => setTimeout(resolve, member.stopping ? 0 : 1_000));
    }
  }

  class Group {
    readonly members: Member[] = [];
    private readonly workers = new Map<string, { stop: AbortController; done: Promise<void> }>();
    constructor(readonly id: string) {}

    /** Kafka's round-robin idea, in one process: partition p goes to the (p mod n)-th member reading the topic. */
    assigned(topic: string, partition: number): Member | undefined {
      const readers = this.members.filter((member) => member.topics.includes(topic) && !member.stopping);
      return readers[partition % Math.max(readers.length, 1)];
    }

    async join(member: Member): Promise<void> {
      this.members.push(member);
      for (const topic of member.topics) {
        const count = await partitionsOf(topic);
        for (let partition = 0; partition < count; partition++) {
          const id = `${topic}\u0000${partition}`;
          if (this.workers.has(id)) continue;
          const stop = new AbortController();
          const done = runPartition(this, topic, partition, stop.signal).catch(() => {});
          this.workers.set(id, { stop, done });
        }
      }
    }

    async leave(member: Member): Promise<void> {
      member.stopping = true;
      member.abort.abort();
      await member.idle();
      this.members.splice(this.members.indexOf(member), 1);
      // Partitions nobody reads any more stop polling; a later join starts them again.
      for (const [id, worker] of this.workers) {
        const topic = id.split('\u0000')[0]!;
        if (!this.members.some((m) => m.topics.includes(topic))) {
          worker.stop.abort();
          await worker.done;
          this.workers.delete(id);
        }
      }
    }
  }

  class Member {
    stopping = false;
    readonly abort: AbortController;
    /** Shared by all the partitions this member reads. */
    readonly slots: Slots;
    private inFlight = new Set<Promise<void>>();
    constructor(
      readonly topics: string[],
      private readonly handler: RawHandler,
      readonly concurrency: number,
    ) {
      this.slots = new Slots(concurrency);
      this.abort = consumerStopSignal(concurrency);
    }

    deliver(message: RawMessage): Promise<void> {
      return this.handler(message, { heartbeat: async () => {}, signal: this.abort.signal });
    }

    /** Runs one batch of this member's, which `idle` waits for. */
    track(batch: () => Promise<void>): Promise<void> {
      const work = batch();
      this.inFlight.add(work);
      const forget = () => this.inFlight.delete(work);
      work.then(forget, forget);
      return work;
    }

    async idle(): Promise<void> {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    }
  }

  return {
    name: 'embedded',
    produce,

    async consume(groupId, topics, handler, options = {}): Promise<EngineSubscription> {
      await init();
      const group = groupOf(groupId);
      const member = new Member(topics, handler, options.concurrency ?? defaultConcurrency);
      await group.join(member);
      let stopped: Promise<void> | undefined;
      return {
        stop: () => {
          stopped ??= group.leave(member);
          return stopped;
        },
      };
    },

    async ensureTopics(topics, partitions) {
      for (const topic of topics) await partitionsOf(topic, partitions);
    },

    async committedOffsets(group, topic) {
      await init();
      const count = await partitionsOf(topic);
      const { rows } = await sql.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset::text FROM bus.offsets WHERE group_id = $1 AND topic = $2',
        [group, topic],
      );
      const result = new Map<number, string>();
      for (let partition = 0; partition < count; partition++) result.set(partition, '0');
      for (const row of rows) result.set(row.partition, row.next_offset);
      return result;
    },

    async read(topic, visit) {
      await init();
      // Not partitionsOf: reading a topic must not create it.
      const { rows: ends } = await sql.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset::text FROM bus.partitions WHERE topic = $1 ORDER BY partition',
        [topic],
      );
      for (const { partition, next_offset } of ends) {
        const end = BigInt(next_offset);
        for (let next = 0n; next < end; ) {
          const messages = (await messagesOf(topic, partition, next, 500)).filter(
            (message) => BigInt(message.offset) < end,
          );
          if (messages.length === 0) break;
          for (const message of messages) await visit(message);
          next = BigInt(messages.at(-1)!.offset) + 1n;
        }
      }
    },

    async lag(group, topic) {
      await init();
      // The log is never truncated, so a partition's next offset is how many messages it holds.
      const { rows } = await sql.query<{ behind: string }>(
        `SELECT coalesce(sum(p.next_offset - coalesce(o.next_offset, 0)), 0)::text AS behind
         FROM bus.partitions p
         LEFT JOIN bus.offsets o ON o.group_id = $1 AND o.topic = p.topic AND o.partition = p.partition
         WHERE p.topic = $2`,
        [group, topic],
      );
      return Number(rows[0]!.behind);
    },

    async ping() {
      await sql.query('SELECT 1');
    },

    async close() {
      for (const group of groups.values()) {
        for (const member of [...group.members]) await group.leave(member);
      }
      closing.abort();
      groups.clear();
    },
  };
}
