import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNoticePayload, renderNotice } from '../notices/notices.ts';
import type { DeliveryChannel } from './channel.ts';

/**
 * The stand-in for a provider that is not configured (standalone mode, or a deployment without
 * an SMS gateway, WeChat account or callback URLs): each delivery becomes one JSON line in a
 * local file — `{"at","channel","deliveryId","kind","recipient","text"|"data"}` — so a user sees
 * exactly what would have been sent (`tail -f data/notify-outbox.jsonl`). The file is the
 * recipient's copy, personal data included, so it is created readable by its owner only.
 */
export function outboxChannel(path: string, name = 'outbox'): DeliveryChannel {
  return {
    name,
    outboxFile: true,
    async send(message) {
      const line = {
        at: new Date().toISOString(),
        channel: name,
        deliveryId: message.deliveryId,
        kind: message.kind,
        recipient: message.recipient,
        ...(isNoticePayload(message.payload)
          ? { notice: message.payload.notice, text: renderNotice(message.payload, new Date()) }
          : { data: message.payload }),
      };
      try {
        await mkdir(dirname(path), { recursive: true });
        await appendFile(path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
        return { ok: true, detail: `written to the outbox file` };
      } catch (error) {
        return {
          ok: false,
          detail: (error as NodeJS.ErrnoException).code ?? 'outbox write failed',
          retryable: true,
        };
      }
    },
  };
}
