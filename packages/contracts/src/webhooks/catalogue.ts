import type { z } from 'zod';
import { AgencyWebhook } from './agency-webhook.ts';
import { CourtResultCallback, HotlineResultCallback } from './result-callbacks.ts';

/**
 * Every signed POST notify makes to a partner's endpoint: document name → body schema, and who
 * receives it. Published under docs/webhooks/ beside the events' schemas.
 */
export const webhookCatalogue = {
  'agency-webhook': {
    schema: AgencyWebhook,
    summary:
      "Deliveries to a partner agency's webhook, for agencies that do not run a Kafka consumer: assignments, their updates and withdrawals, SLA reminders, and the case's end.",
  },
  'hotline-result-callback': {
    schema: HotlineResultCallback,
    summary: "The 办结反馈 of each work order, to the 12345 hotline system's callback endpoint.",
  },
  'court-result-callback': {
    schema: CourtResultCallback,
    summary:
      "The outcome of each pre-litigation mediation referral, to the referring court's callback endpoint.",
  },
} as const satisfies Record<string, { schema: z.ZodType; summary: string }>;

export type WebhookName = keyof typeof webhookCatalogue;
export const webhookNames = Object.keys(webhookCatalogue) as WebhookName[];
