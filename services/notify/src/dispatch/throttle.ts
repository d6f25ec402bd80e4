import { createHmac } from 'node:crypto';
import type { Logger } from '@huijie/service-kit/logger.ts';
import type { RateLimiter } from '@huijie/service-kit/rate-limit.ts';

export interface Limit {
  limit: number;
  windowMs: number;
}

/** How fast one channel may go: in all (the provider's quota) and to one recipient. */
export interface ChannelLimits {
  provider: Limit;
  recipient: Limit;
}

const minute = 60_000;
const hour = 60 * minute;

/**
 * Defaults sized to the providers' published limits: SMS carriers refuse more than a few
 * messages per number per hour; WeChat's template API allows ~100,000 a day per account; a
 * partner's webhook or the hotline's callback should not see bursts from one backlog.
 */
export const defaultThrottles: Record<string, ChannelLimits> = {
  sms: { provider: { limit: 600, windowMs: minute }, recipient: { limit: 10, windowMs: hour } },
  wechat: { provider: { limit: 1_000, windowMs: minute }, recipient: { limit: 20, windowMs: hour } },
  webhook: { provider: { limit: 3_000, windowMs: minute }, recipient: { limit: 300, windowMs: minute } },
  hotline: { provider: { limit: 1_200, windowMs: minute }, recipient: { limit: 600, windowMs: minute } },
  court: { provider: { limit: 600, windowMs: minute }, recipient: { limit: 300, windowMs: minute } },
};

export type Admission = { ok: true } | { ok: false; retryAfterMs: number; scope: 'provider' | 'recipient' };

export interface Throttle {
  admit(channel: string, recipient: string): Promise<Admission>;
}

/**
 * Fixed windows in the shared rate limiter (Redis with several replicas). Recipients are keyed
 * by an HMAC under `secret`, so no phone number or OpenID ends up in Redis, nor a plain hash of
 * one (a hash of an 11-digit mobile is reversed by hashing them all). Replicas and restarts with
 * the same secret name a recipient alike, so its count holds across them. A limiter that cannot
 * be reached lets the message through: sending late because Redis is down helps no one.
 */
export function createThrottle(
  limiter: RateLimiter,
  limits: Record<string, ChannelLimits>,
  logger: Logger,
  secret: string,
): Throttle {
  const throttleKeyOf = (recipient: string) =>
    createHmac('sha256', `huijie:notify-throttle:${secret}`)
      .update(recipient)
      .digest('base64url')
      .slice(0, 16);
  return {
    async admit(channel, recipient) {
      const channelLimits = limits[channel];
      if (!channelLimits) return { ok: true };
      try {
        // The provider's count first: a message it defers must not use up its recipient's
        // allowance (10 an hour for SMS), or a backlog of a few minutes holds texts for an hour.
        // A recipient's refusal costs one provider slot, once per recipient window.
        const all = await limiter.hit(
          `notify:${channel}:all`,
          channelLimits.provider.limit,
          channelLimits.provider.windowMs,
        );
        if (!all.allowed) return { ok: false, retryAfterMs: all.retryAfterMs, scope: 'provider' };
        const own = await limiter.hit(
          `notify:${channel}:to:${throttleKeyOf(recipient)}`,
          channelLimits.recipient.limit,
          channelLimits.recipient.windowMs,
        );
        if (!own.allowed) return { ok: false, retryAfterMs: own.retryAfterMs, scope: 'recipient' };
        return { ok: true };
      } catch (error) {
        logger.warn({ channel, err: error }, 'throttle unavailable; sending unthrottled');
        return { ok: true };
      }
    },
  };
}
