import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { topics } from '@huijie/contracts/topics.ts';
import { createEventBus } from '@huijie/event-bus/bus.ts';
import { createKafkaEngine } from '@huijie/event-bus/kafka/kafka-engine.ts';
import { namespaced } from '@huijie/event-bus/namespaced-engine.ts';
import { routingGroup } from '@huijie/routing/app.ts';
import { eventually, requireServers, uniqueName } from '@huijie/testing/servers.ts';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaProbe, readiness } from './kafka.ts';
import { freePort, ServiceProcess } from './processes.ts';

const servers = await requireServers('kafka');
const root = join(import.meta.dirname, '..', '..');

/** Runs routing's main once more, as a supervisor or an operator would, and waits for it to exit. */
function runRouting(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/routing/src/main.ts')], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * A consuming service killed with SIGKILL never leaves its consumer group: the next member to
 * join waits for the group's rebalance, which waits out the killed member's session. A service
 * restarted at once must come up all the same — listening at once, ready once it has joined —
 * and one started by mistake on a port in use must fail before it joins (and so holds up nobody).
 */
describe.runIf(servers)('a consuming service restarted at once after kill -9', () => {
  it('comes up once its group lets the killed member go, routes, and a clash on its port joins nothing', async () => {
    const brokers = servers!.kafkaBrokers!;
    const namespace = uniqueName('restart');
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_NAMESPACE: namespace,
      // Longer than the 10 s Fastify gives a start hook, where routing used to join its group.
      KAFKA_SESSION_TIMEOUT_MS: '12000',
      LOG_LEVEL: 'info',
    };
    const routing = new ServiceProcess('routing', env, await freePort());
    const probe = kafkaProbe(brokers);
    const hotline = createEventBus(
      namespaced(createKafkaEngine({ brokers, clientId: 'restart-hotline' }), namespace),
      { source: '/test/hotline' },
    );
    const admin = new Kafka({ clientId: 'restart-admin', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await routing.start();
      // Killed while a member of its group: it leaves nothing behind but its membership.
      await routing.signal('SIGKILL');

      const restartedAt = Date.now();
      const seen = new Set<string>();
      let starting = true;
      const watching = (async () => {
        while (starting) {
          const answer = await fetch(`${routing.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(
            () => undefined,
          );
          if (answer) {
            const { checks } = (await answer.json()) as { checks: Record<string, string> };
            seen.add(`${answer.status} ${JSON.stringify(checks)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      await routing.start(60_000).finally(() => {
        starting = false;
      });
      await watching;
      const readyAfterMs = Date.now() - restartedAt;

      expect(routing.unexpectedExits).toEqual([]);
      // It listened while it waited for its group, and said it was not ready yet, and why.
      expect(seen).toContain('503 {"broker":"ok","consumers":"starting"}');
      expect(routing.tail(400)).toContain('waiting to join the consumer group');
      // The group waited out the killed member's session (less the time it took to restart).
      expect(readyAfterMs).toBeGreaterThan(5_000);
      expect(await readiness(routing.url)).toBe(200);

      const disputeId = randomUUID();
      await hotline.publish([
        {
          name: 'dispute.intake.v1',
          key: disputeId,
          data: {
            disputeId,
            channel: 'hotline_12345',
            sourceRef: 'RESTART1',
            revision: 1,
            receivedAt: '2024-08-24T09:30:00+08:00',
            content: '在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元',
            location: { divisionCode: '350802107' },
            parties: [],
            attachments: [],
          },
        },
      ]);
      const assignment = `${namespace}.${topics.assignment}`;
      await eventually(async () => (await probe.count(assignment)) > 0, {
        what: 'the dispute routed',
        timeoutMs: 20_000,
        intervalMs: 250,
      });
      expect((await probe.read(assignment)).map((record) => record.key)).toContain(disputeId);

      // A second routing, started by mistake on the running one's port: it fails at once, naming
      // the port, without having joined the group (whose rebalance would wait for it otherwise).
      const clash = await runRouting({ ...env, ROUTING_PORT: String(routing.port) });
      expect(clash.code).toBe(1);
      expect(clash.output).toContain('is already in use');
      const { groups } = await admin.describeGroups([`${namespace}.${routingGroup}`]);
      expect(groups[0]).toMatchObject({ state: 'Stable', members: [expect.anything()] });
    } finally {
      await routing.stop();
      await hotline.close();
      await probe.close();
      await admin.disconnect();
    }
  }, 150_000);
});
