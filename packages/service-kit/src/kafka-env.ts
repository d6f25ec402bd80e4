import { z } from 'zod';
import { blankAsUnset } from './config.ts';

/**
 * What a service's Kafka bus reads besides `KAFKA_BROKERS`, shared by every distributed
 * `main.ts`. Both are optional (blank is unset, as docker compose passes `${VAR:-}`).
 */
export const kafkaBusEnv = z.object({
  /**
   * Prefixes every topic and consumer group (`<namespace>.dispute.intake.v1`), so several
   * environments — staging beside production, or test runs — can share one cluster unseen.
   */
  KAFKA_NAMESPACE: blankAsUnset(
    z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]{0,99}$/, 'letters, digits, ".", "_", "-" (at most 100)')
      .optional(),
  ),
  /**
   * How long the broker waits for a silent consumer before giving its partitions to another:
   * what a crashed replica costs its group before the work moves on (the broker's floor is 6 s).
   */
  KAFKA_SESSION_TIMEOUT_MS: blankAsUnset(z.coerce.number().int().min(6_000).max(300_000).default(30_000)),
});

export type KafkaBusEnv = z.infer<typeof kafkaBusEnv>;
