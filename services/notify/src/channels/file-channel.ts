import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeliveryChannel } from './channel.ts';

/**
 * Standalone mode's stand-in for external providers: each delivery is one JSON line in a local
 * file (`tail -f data/notify-outbox.jsonl`), so a user sees what would have been sent.
 */
export function fileChannel(path: string): DeliveryChannel {
  return {
    name: 'file',
    async send(message) {
      try {
        await mkdir(dirname(path), { recursive: true });
        await appendFile(path, `${JSON.stringify({ at: new Date().toISOString(), ...message })}\n`);
        return { ok: true, detail: `written to ${path}` };
      } catch (error) {
        return { ok: false, detail: (error as Error).message, retryable: true };
      }
    },
  };
}
