import type { TokenStore } from './token-store.ts';

export interface WechatAccount {
  appId: string;
  appSecret: string;
  /** `https://api.weixin.qq.com`; a local server in tests. */
  apiBase: string;
}

/** Why there is no token: `retryable` false when only a configuration change can help. */
export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Errors of the token endpoint that a retry cannot fix: wrong AppID/secret, server IP not allow-listed. */
const configurationErrors = new Set([40001, 40002, 40013, 40125, 40164, 41002, 41004, 89503]);

/**
 * The official account's access token (valid 7,200 s), fetched once and shared through the
 * store. It is cached for its lifetime minus `refreshMarginMs`, so it is replaced before it
 * expires; WeChat keeps the old token valid for five minutes after a refresh, which covers
 * messages in flight with it. One replica refreshes (a lock), the others wait for its token.
 */
export function wechatAccessToken(
  account: WechatAccount,
  store: TokenStore,
  options: { refreshMarginMs?: number; timeoutMs?: number; waitMs?: number } = {},
) {
  const key = `wechat:token:${account.appId}`;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const waitMs = options.waitMs ?? timeoutMs + 1_000;

  async function fetchToken(): Promise<{ token: string; ttlMs: number }> {
    const url = new URL('/cgi-bin/token', account.apiBase);
    url.searchParams.set('grant_type', 'client_credential');
    url.searchParams.set('appid', account.appId);
    url.searchParams.set('secret', account.appSecret);
    let answer: { access_token?: string; expires_in?: number; errcode?: number; errmsg?: string };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) throw new TokenError(`token endpoint answered HTTP ${response.status}`, true);
      answer = (await response.json()) as typeof answer;
    } catch (error) {
      if (error instanceof TokenError) throw error;
      // Never the URL in a message: it carries the AppSecret.
      throw new TokenError(`token endpoint unreachable: ${(error as Error).name}`, true);
    }
    if (!answer.access_token) {
      const code = answer.errcode ?? -1;
      throw new TokenError(`token refused: errcode ${code}`, !configurationErrors.has(code));
    }
    const lifetimeMs = (answer.expires_in ?? 7200) * 1000;
    return { token: answer.access_token, ttlMs: Math.max(1_000, lifetimeMs - margin) };
  }

  return {
    apiBase: account.apiBase,
    /** A token valid for at least the refresh margin. Throws a TokenError. */
    async get(): Promise<string> {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const cached = await store.get(key).catch(() => {
          throw new TokenError('token store unreachable', true);
        });
        if (cached) return cached;
        if (await store.lock(key, timeoutMs + 1_000)) {
          try {
            const fresh = await fetchToken();
            await store.set(key, fresh.token, fresh.ttlMs);
            return fresh.token;
          } finally {
            await store.unlock(key).catch(() => {});
          }
        }
        if (Date.now() > deadline) throw new TokenError('waited too long for another refresh', true);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** WeChat said this token is invalid (revoked, refreshed elsewhere): the next `get` fetches anew. */
    async invalidate(token: string): Promise<void> {
      await store.deleteIf(key, token).catch(() => {});
    },
  };
}

export type WechatAccessToken = ReturnType<typeof wechatAccessToken>;
