import type { Engine } from './engine.ts';

/**
 * Gives an engine a private namespace: every topic and group is prefixed on the way in and
 * the prefix is removed on the way out, so services keep the contract's topic names. Lets
 * several environments (or test runs) share one Kafka cluster without seeing each other.
 */
export function namespaced(engine: Engine, prefix: string): Engine {
  if (!prefix) return engine;
  const inner = (topic: string) => `${prefix}.${topic}`;
  const outer = (topic: string) => (topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : topic);
  return {
    name: engine.name,
    produce: (records) =>
      engine.produce(records.map((record) => ({ ...record, topic: inner(record.topic) }))),
    consume: (group, topics, handler, options) =>
      engine.consume(
        `${prefix}.${group}`,
        topics.map(inner),
        (message, ctx) => handler({ ...message, topic: outer(message.topic) }, ctx),
        options,
      ),
    ensureTopics: (topics, partitions) => engine.ensureTopics(topics.map(inner), partitions),
    committedOffsets: (group, topic) => engine.committedOffsets(`${prefix}.${group}`, inner(topic)),
    read: (topic, visit) =>
      engine.read(inner(topic), (message) => visit({ ...message, topic: outer(message.topic) }), {
        groupPrefix: prefix,
      }),
    lag: (group, topic) => engine.lag(`${prefix}.${group}`, inner(topic)),
    ping: () => engine.ping(),
    close: () => engine.close(),
  };
}
