import { isNoticePayload, type Notice, renderNotice } from '../notices/notices.ts';
import { type DeliveryChannel, defaultSendTimeoutMs, type SendResult } from './channel.ts';
import { postSigned } from './http-send.ts';

/**
 * An HTTP SMS gateway: the provider's relay (or our own in front of Aliyun/Tencent SMS), which
 * takes one JSON request per message. Carriers only pass pre-approved templates under a
 * registered signature, so both are configuration.
 */
export interface SmsSettings {
  /** The provider's name: a label for logs, metrics and the request (`aliyun`, `tencent`, a relay). */
  provider: string;
  url: string;
  /** Signs each request (HMAC-SHA256 of timestamp + body, as our webhooks). */
  secret: string;
  /** Sent as `x-sms-access-key` when the gateway identifies accounts by key. */
  accessKey?: string | undefined;
  /** The registered SMS signature (签名), shown as 【…】 in front of the text. */
  signName: string;
  /** The carrier-approved template id of each notice; a notice without one sends its name. */
  templateIds: Partial<Record<Notice, string>>;
  timeoutMs?: number;
}

/**
 * The request: `{requestId, provider, phone, signName, templateId, params, text}`. `requestId`
 * is the delivery id, for gateways that drop a repeated request (Aliyun's OutId, Tencent's
 * SessionContext). A 2xx answer whose JSON `code` is not OK is a failure: one that names a
 * limit or a busy gateway is retried, any other (bad number, template not approved) is not.
 */
export function smsChannel(settings: SmsSettings): DeliveryChannel {
  const timeoutMs = settings.timeoutMs ?? defaultSendTimeoutMs;
  return {
    name: 'sms',
    async send(message) {
      if (!isNoticePayload(message.payload))
        return { ok: false, detail: 'not an SMS notice', retryable: false };
      // The text as it reads now: an acceptance whose date has passed promises none (notices.ts).
      // The template's parameters stay whole: a carrier refuses an approved template with one of
      // its variables missing, and the citizen would get nothing.
      const now = new Date();
      const { notice, params } = message.payload;
      const body = JSON.stringify({
        requestId: message.deliveryId,
        provider: settings.provider,
        phone: message.recipient,
        signName: settings.signName,
        templateId: settings.templateIds[notice] ?? notice,
        params,
        text: `【${settings.signName}】${renderNotice(message.payload, now)}`,
      });
      return postSigned({ url: settings.url, secret: settings.secret }, message, body, {
        timeoutMs,
        headers: settings.accessKey ? { 'x-sms-access-key': settings.accessKey } : {},
        inspect: smsGatewayVerdict,
      });
    },
  };
}

/** A 2xx from the gateway may still refuse the message in its body. */
export function smsGatewayVerdict(status: number, text: string): SendResult {
  let answer: { code?: unknown; message?: unknown } | undefined;
  try {
    answer = text ? JSON.parse(text) : undefined;
  } catch {
    answer = undefined;
  }
  const code = answer?.code;
  if (code === undefined || code === null || ['ok', '0', 'success'].includes(String(code).toLowerCase())) {
    return { ok: true, detail: `HTTP ${status}`, status };
  }
  const detail = `gateway code ${String(code)}`;
  return {
    ok: false,
    detail,
    retryable: /limit|throttl|busy|flow|frequen|timeout/i.test(String(code)),
    status,
  };
}
