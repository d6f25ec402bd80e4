import { catalogue, type EventName, type EventOf } from '@huijie/contracts/catalogue.ts';
import type { EventBus, OutgoingEvent, SubscribeOptions } from '@huijie/event-bus/bus.ts';
import type { Engine } from '@huijie/event-bus/engine.ts';
import { memoryIdempotency } from '@huijie/service-kit/idempotency.ts';
import { createLogger } from '@huijie/service-kit/logger.ts';
import { createMetrics } from '@huijie/service-kit/metrics.ts';
import { memoryRateLimiter } from '@huijie/service-kit/rate-limit.ts';
import { buildIngestWechatApp, type IngestWechatDeps } from '../src/app.ts';
import { memoryApplicationStore } from '../src/application/store.ts';
import type { IngestWechatSettings } from '../src/config.ts';

/** A bus that validates like the real one and keeps what was published; it can be told to fail. */
export function recordingBus() {
  const published: OutgoingEvent[] = [];
  const state = { failing: false, delayMs: 0 };
  const subscriptions: SubscribeOptions[] = [];
  const engine = {
    name: 'embedded',
    ping: async () => {},
  } as unknown as Engine;
  const bus: EventBus = {
    engine,
    async publish(events) {
      if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      if (state.failing) throw new Error('broker unavailable');
      for (const event of events) catalogue[event.name].schema.parse(event.data);
      published.push(...events);
    },
    subscribe: async (options) => {
      subscriptions.push(options);
      return { stop: async () => {} };
    },
    ensureTopics: async () => {},
    consumerLag: async () => [],
    close: async () => {},
  };
  const of = <N extends EventName>(name: N) =>
    published.filter((event) => event.name === name).map((event) => event.data as EventOf<N>);
  /** Delivers an event to the subscribed handlers, as the bus would after validation. */
  const deliver = async <N extends EventName>(name: N, data: EventOf<N>) => {
    for (const subscription of subscriptions) {
      const handler = subscription.handlers[name] as
        | ((event: EventOf<N>, ctx: never) => Promise<void>)
        | undefined;
      await handler?.(catalogue[name].schema.parse(data) as EventOf<N>, {} as never);
    }
  };
  return { bus, published, state, of, deliver };
}

export const testWechat = {
  token: 'testtoken123',
  appId: 'wx0123456789abcdef',
  // 43 base64 characters: a test key, never a real account's.
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};

export function testSettings(overrides: Partial<IngestWechatSettings> = {}): IngestWechatSettings {
  return {
    wechat: { ...testWechat, mode: 'compatible' },
    publicBaseUrl: 'https://tiaojie.example.cn',
    ...overrides,
  };
}

export function testApp(overrides: Partial<IngestWechatDeps> = {}, settings = testSettings()) {
  const recording = recordingBus();
  const deps: IngestWechatDeps = {
    bus: recording.bus,
    idempotency: memoryIdempotency(),
    rateLimiter: memoryRateLimiter(),
    applications: memoryApplicationStore(),
    logger: createLogger({ service: 'ingest-wechat-test', level: 'silent' }),
    metrics: createMetrics('ingest-wechat-test'),
    ...overrides,
  };
  return { app: buildIngestWechatApp(settings, deps), ...recording, deps };
}

/** Guo's application from MISSION.md, as the form would send it. */
export function guoApplication(submissionId = crypto.randomUUID()) {
  return {
    submissionId,
    townCode: '350802107',
    address: '江山镇某村水库',
    applicant: { name: '郭某', phone: '138 0000 1234' },
    respondent: { kind: 'person', name: '水库工程包工头', phone: '' },
    description: '我在新罗区江山镇修水库大坝干了19天，老板一直不给工资，共3800元。',
    amountClaimed: '3800',
    attachments: [],
    agreed: true,
  };
}
