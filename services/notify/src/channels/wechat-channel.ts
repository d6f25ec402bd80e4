import { isNoticePayload, type Notice, type NoticePayload } from '../notices/notices.ts';
import { type DeliveryChannel, defaultSendTimeoutMs, type SendResult } from './channel.ts';
import { postJson } from './http-send.ts';
import { TokenError, type WechatAccessToken } from './wechat-token.ts';

/** A template's keys (as the account's template defines them) → our notice's parameters. */
export interface WechatTemplate {
  templateId: string;
  fields: Record<string, string>;
}

export interface WechatMessaging {
  /**
   * `template`: 模板消息 (`/cgi-bin/message/template/send`, deduplicated by `client_msg_id`).
   * `subscribe`: 订阅通知 (`/cgi-bin/message/subscribe/bizsend`), for accounts moved to subscription notices.
   */
  api: 'template' | 'subscribe';
  /** Notices without a template go by SMS instead (the recorder decides); here they fail. */
  templates: Partial<Record<Notice, WechatTemplate>>;
  /** Where tapping the message leads: the progress page (`<base>?ref=<ref>`). */
  linkBase?: string | undefined;
  timeoutMs?: number;
}

/** Suggested mappings for the templates the account would add from WeChat's library. */
export const defaultWechatFields: Record<Notice, Record<string, string>> = {
  accepted: { character_string1: 'ref', thing2: 'department', time3: 'dueDate' },
  result: { character_string1: 'ref', thing2: 'result', time3: 'date' },
  escalation: { thing1: 'place', thing2: 'category', phrase3: 'levelShort' },
};

/** errcodes that mean the token we used is no longer good: drop it and try again soon. */
const tokenErrors = new Set([40001, 40014, 41001, 42001]);
/** errcodes a retry cannot fix: unknown/unsubscribed user, refused subscription, bad template or data. */
const permanentErrors = new Set([40003, 40036, 40037, 43004, 43101, 47003, 47001, 40165, 41028, 41029]);
/**
 * Of those, the ones that say this person cannot be reached on WeChat: 43004 they unfollowed the
 * account, 43101 they refused its subscription notices. A citizen's notice then goes by SMS instead
 * (dispatch/sms-fallback.ts). The others are our configuration (template, page, data) and stay dead
 * letters for an engineer — 40003 (an OpenID not of this account) too: it is what WeChat answers
 * for every citizen when notify runs with another account's AppID, and would text them all.
 */
const unreachableErrors = new Set([43004, 43101]);

/** Template values have length limits by kind (thing ≤ 20 characters, phrase ≤ 5, …). */
export function clip(key: string, value: string): string {
  const limit = /^thing/.test(key)
    ? 20
    : /^phrase/.test(key)
      ? 5
      : /^character_string/.test(key)
        ? 32
        : /^name/.test(key)
          ? 10
          : 20;
  const chars = [...value];
  return chars.length <= limit ? value : `${chars.slice(0, limit - 1).join('')}…`;
}

export function templateData(template: WechatTemplate, payload: NoticePayload) {
  return Object.fromEntries(
    Object.entries(template.fields).map(([key, param]) => [
      key,
      { value: clip(key, payload.params[param] ?? '') },
    ]),
  );
}

/** WeChat messages to the applicant's OpenID (the recipient). */
export function wechatChannel(settings: WechatMessaging, tokens: WechatAccessToken): DeliveryChannel {
  const timeoutMs = settings.timeoutMs ?? defaultSendTimeoutMs;
  return {
    name: 'wechat',
    async send(message): Promise<SendResult> {
      if (!isNoticePayload(message.payload))
        return { ok: false, detail: 'not a WeChat notice', retryable: false };
      const template = settings.templates[message.payload.notice];
      if (!template)
        return { ok: false, detail: `no WeChat template for ${message.payload.notice}`, retryable: false };
      let token: string;
      try {
        token = await tokens.get();
      } catch (error) {
        const retryable = error instanceof TokenError ? error.retryable : true;
        return { ok: false, detail: `access token: ${(error as Error).message}`, retryable };
      }
      const link = settings.linkBase
        ? `${settings.linkBase}?ref=${encodeURIComponent(message.payload.params.ref ?? '')}`
        : undefined;
      const data = templateData(template, message.payload);
      const body =
        settings.api === 'template'
          ? {
              touser: message.recipient,
              template_id: template.templateId,
              ...(link && { url: link }),
              data,
              // WeChat sends one message per (openid, client_msg_id) within minutes: a retry after
              // a lost answer is not a second message.
              client_msg_id: message.deliveryId,
            }
          : {
              touser: message.recipient,
              template_id: template.templateId,
              ...(link && { page: link }),
              data,
            };
      const path =
        settings.api === 'template' ? '/cgi-bin/message/template/send' : '/cgi-bin/message/subscribe/bizsend';
      let tokenRejected = false;
      const result = await postJson(
        `${tokens.apiBase.replace(/\/+$/, '')}${path}?access_token=${encodeURIComponent(token)}`,
        JSON.stringify(body),
        {
          timeoutMs,
          inspect: (status, text) => {
            let answer: { errcode?: number; msgid?: number | string };
            try {
              answer = JSON.parse(text);
            } catch {
              return { ok: false, detail: `HTTP ${status}: not JSON`, retryable: true, status };
            }
            const code = answer.errcode ?? 0;
            if (code === 0) return { ok: true, detail: `errcode 0, msgid ${answer.msgid ?? '-'}`, status };
            if (tokenErrors.has(code)) {
              tokenRejected = true;
              return {
                ok: false,
                detail: `errcode ${code} (token rejected)`,
                retryable: true,
                status,
                retryAfterMs: 0,
              };
            }
            return {
              ok: false,
              detail: `errcode ${code}`,
              retryable: !permanentErrors.has(code),
              status,
              ...(unreachableErrors.has(code) && { unreachable: true }),
            };
          },
        },
      );
      if (tokenRejected) await tokens.invalidate(token);
      return result;
    },
  };
}
