import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPglite, pgliteClient } from '@huijie/database/sql-client.ts';
import { createEventBus, type EventBus } from '@huijie/event-bus/bus.ts';
import { createEmbeddedEngine } from '@huijie/event-bus/embedded/embedded-engine.ts';
import { kafkaBus } from '@huijie/event-bus/kafka-bus.ts';
import { z } from 'zod';
import { commonEnv, parseConfig } from './config.ts';
import { type DataDirHolder, lockDataDir } from './data-lock.ts';
import { kafkaBusEnv } from './kafka-env.ts';

export interface ToolEventLog {
  bus: EventBus;
  /** Where it is, in words for the tool's first line. */
  where: string;
  close(): Promise<void>;
}

/**
 * The platform's event log, for a command-line tool (the historical import, the dead letters):
 * the Kafka cluster with `KAFKA_BROKERS` (and the services' `KAFKA_NAMESPACE`), else the standalone
 * platform's embedded log in `DATA_DIR` (default ./data), which only a stopped platform lets go:
 * the tool takes the platform's lock on the directory and refuses to run while it is held.
 */
export async function openToolEventLog(tool: {
  service: string;
  holder: DataDirHolder;
  /** Refuse a DATA_DIR the platform has not made: a tool that only looks would find nothing there. */
  existingOnly?: boolean;
}): Promise<ToolEventLog> {
  const config = parseConfig(
    kafkaBusEnv.extend({
      KAFKA_BROKERS: commonEnv.KAFKA_BROKERS.optional(),
      DATA_DIR: z.string().default('data'),
    }),
    // An empty variable means unset (KAFKA_BROKERS= npx tsx … to use the standalone log).
    Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')),
  );
  if (config.KAFKA_BROKERS) {
    const bus = kafkaBus({
      brokers: config.KAFKA_BROKERS,
      service: tool.service,
      namespace: config.KAFKA_NAMESPACE,
      onFatal: (error) => {
        console.error(`\nKafka failed: ${error.message}`);
        process.exit(1);
      },
    });
    const namespace = config.KAFKA_NAMESPACE ? ` (namespace ${config.KAFKA_NAMESPACE})` : '';
    return { bus, where: `Kafka ${config.KAFKA_BROKERS.join(',')}${namespace}`, close: () => bus.close() };
  }
  // Run in the wrong directory, or with KAFKA_BROKERS forgotten, a look at a new empty log would
  // say "nothing there" of the platform's.
  if (tool.existingOnly && !existsSync(join(config.DATA_DIR, 'pglite')))
    throw new Error(
      `no standalone platform in ${config.DATA_DIR} (no ${join(config.DATA_DIR, 'pglite')}): set KAFKA_BROKERS for Kafka, or DATA_DIR to the platform's data directory`,
    );
  // The platform's own lock, before the database is opened: a running platform makes the tool
  // refuse, and a platform started meanwhile refuses, instead of two processes writing one PGlite.
  mkdirSync(config.DATA_DIR, { recursive: true });
  lockDataDir(config.DATA_DIR, tool.holder);
  const pglite = await openPglite(join(config.DATA_DIR, 'pglite'));
  const bus = createEventBus(createEmbeddedEngine(pgliteClient(pglite)), {
    source: `/huijie/${tool.service}`,
  });
  return {
    bus,
    where: `the standalone event log in ${config.DATA_DIR}`,
    // The embedded database is written to disk when it closes.
    close: async () => {
      await bus.close();
      await pglite.close();
    },
  };
}
