import { z } from 'zod';

/**
 * What a service's Kafka bus reads besides `KAFKA_BROKERS`, shared by every distributed
 * `main.ts`. Both are optional: a deployment that sets neither behaves as before.
 */
export const kafkaBusEnv = z.object({
  /**
   * Prefixes every topic and consumer group (`<namespace>.dispute.intake.v1`), so several
   * environments — staging beside production, or test runs — can share one cluster unseen.
   */
  KAFKA_NAMESPACE: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]{0,99}$/, 'letters, digits, ".", "_", "-" (at most 100)')
      .optional(),
  ),
  /**
   * How long the broker waits for a silent consumer before giving its partitions to another:
   * what a crashed replica costs its group before the work moves on (the broker's floor is 6 s).
   */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
});

export type KafkaBusEnv = z.infer<typeof kafkaBusEnv>;
