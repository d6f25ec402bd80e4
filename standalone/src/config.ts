import { agencyWebhooksEnv, courtCallbacksEnv, hotlineCallbacksEnv } from '@huijie/notify/config.ts';
import { commonEnv, logLevel, port } from '@huijie/service-kit/config.ts';
import { z } from 'zod';

/** The variables standalone mode reads. */
export const standaloneVariables = z.object({
  HOST: commonEnv.HOST,
  LOG_LEVEL: logLevel('warn'),
  METRICS_TOKEN: commonEnv.METRICS_TOKEN,
  /** Everything the platform keeps: the embedded database (cases, deliveries, the event log) and the notify outbox. */
  DATA_DIR: z.string().default('data'),
  INGEST_12345_PORT: port(8101),
  INGEST_WECHAT_PORT: port(8102),
  INGEST_COURTS_PORT: port(8103),
  /**
   * Where citizens reach the WeChat form: QR codes and the account's replies link to `<base>/apply`.
   * Unset, the WeChat ingest's own address on this machine, whichever port it was given.
   */
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  ROUTING_PORT: port(8104),
  CASES_PORT: port(8105),
  NOTIFY_PORT: port(8106),
  /**
   * Agencies that take webhooks, as notify reads it in distributed mode: a partner can point a
   * receiver at `npm start`. A department not named here gets its deliveries in the outbox file.
   */
  AGENCY_WEBHOOKS: agencyWebhooksEnv,
  /**
   * 12345 systems' 办结反馈 endpoints, as notify reads it in distributed mode: a hotline can test its
   * check of the signed result callback against `npm start`. Only the demo hotline client pushes
   * work orders here, so only its entry is ever called; unset, its callbacks go to the outbox file.
   */
  HOTLINE_CALLBACKS: hotlineCallbacksEnv,
  /**
   * Court clients' outcome endpoints, as notify reads it in distributed mode: a court can test its
   * check of the signed result callback against `npm start`. Only the demo court client refers
   * cases here, so only its entry is ever called; unnamed, its outcomes go to the outbox file.
   */
  COURT_CALLBACKS: courtCallbacksEnv,
});

export const standaloneConfigSchema = standaloneVariables.transform((config) => ({
  ...config,
  PUBLIC_BASE_URL: config.PUBLIC_BASE_URL ?? `http://localhost:${config.INGEST_WECHAT_PORT}`,
}));

export type StandaloneConfig = z.infer<typeof standaloneConfigSchema>;

/** Demo credentials, created only in standalone mode and announced at start. */
export const demo = {
  hotlineClient: { id: 'demo-12345', secret: 'demo-secret' },
  courtClient: { id: 'demo-court', secret: 'demo-secret', courts: ['闽0803', '闽0802'] },
  wechat: {
    token: 'demo-token',
    appId: 'wxhuijiedemo000000',
    encodingAesKey: 'HuijieDemoEncodingAesKey0123456789abcdefghi',
  },
  operator: { username: 'demo-operator', password: 'demo-password', role: 'admin', scope: '350800' },
  /** The department the README's example case (Guo's unpaid wages in 江山镇) goes to, as its agency would call. */
  agencyKey: {
    key: 'demo-agency-key-jiangshan',
    department: { code: '350802107-judicial_office', name: '江山镇司法所' },
  },
} as const;
