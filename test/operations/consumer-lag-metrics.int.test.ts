import { randomUUID } from 'node:crypto';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { buildRoutingApp, routingGroup } from '@huijie/routing/app.ts';
import { createRouter } from '@huijie/routing/domain/router.ts';
import { startConsuming } from '@huijie/service-kit/http-app.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { describe, expect, it } from 'vitest';

const servers = await requireServers('kafka');
const logger = createLogger({ service: 'test', level: 'silent' });

describe.runIf(servers)('/metrics shows how far each consumer group is behind, on Kafka', () => {
  it('routing: disputes waiting on the intake topic, then none once routed and committed', async () => {
    const engine = namespaced(
      createKafkaEngine({ brokers: servers!.kafkaBrokers!, clientId: 'lag-test', sessionTimeoutMs: 6_000 }),
      uniqueName('lag'),
    );
    // Routing's own publishes wait behind this gate: its handlers cannot finish, so it commits nothing.
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const routingBus = createEventBus(
      { ...engine, produce: async (records) => gate.then(() => engine.produce(records)) },
      { source: '/huijie/routing' },
    );
    const metrics = createMetrics('routing');
    const app = buildRoutingApp({ bus: routingBus, router: createRouter(), logger, metrics });
    const hotline = createEventBus(engine, { source: '/test/hotline' });
    const lag = async (topic: string) => {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      const line = new RegExp(
        `^huijie_consumer_lag\\{group="${routingGroup}",topic="${topic.replaceAll('.', '\\.')}",service="routing"\\} (\\d+)$`,
        'm',
      ).exec(res.body);
      return line ? Number(line[1]) : undefined;
    };
    try {
      await hotline.publish(
        Array.from({ length: 5 }, (_, i) => {
          const disputeId = randomUUID();
          return {
            name: 'dispute.intake.v1' as const,
            key: disputeId,
            data: {
              disputeId,
              channel: 'hotline_12345' as const,
              sourceRef: `LAG${i}`,
              revision: 1,
              receivedAt: '2024-08-24T09:30:00+08:00',
              content: '在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元',
              location: { divisionCode: '350802107' },
              parties: [],
              attachments: [],
            },
          };
        }),
      );
      await startConsuming(app);
      expect(await lag(topics.intake)).toBe(5);
      expect(await lag(topics.caseCorrection)).toBe(0);

      openGate();
      await eventually(async () => (await lag(topics.intake)) === 0, {
        what: 'the five routed and committed',
        timeoutMs: 30_000,
      });
    } finally {
      openGate();
      await app.close();
      await routingBus.close();
    }
  });
});
