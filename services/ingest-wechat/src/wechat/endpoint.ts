import { randomBytes } from 'node:crypto';
import { AppError, badRequest, unauthorized } from '@huijie/service-kit/errors.ts';
import { type IdempotencyStore, onceForKey } from '@huijie/service-kit/idempotency.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IngestWechatSettings } from '../config.ts';
import type { TownDirectory } from '../towns.ts';
import type { ApplicantLinks } from './applicant-link.ts';
import { signatureMatches, WechatCipher, WechatCryptoError, wechatSignature } from './crypto.ts';
import { dedupeKey, MessageError, parseEncryptedEnvelope, parseMessage } from './message.ts';
import { replyText, textReplyXml } from './replies.ts';
import { cdata } from './xml.ts';

export interface WechatEndpointOptions {
  wechat: IngestWechatSettings['wechat'];
  towns: TownDirectory;
  applyUrl(townCode?: string, wechatRef?: string): string;
  links: ApplicantLinks;
  idempotency: IdempotencyStore;
  now: () => Date;
  count(kind: string, outcome: string): void;
}

/** WeChat treats "success" (or an empty body) as "received, no reply". */
const noReply = 'success';

/** The most bytes of one message WeChat posts (text, an envelope): far more than any. */
const messageBodyLimit = 64 * 1024;

/**
 * The official account's server endpoint: URL verification (GET) and messages (POST), in
 * plaintext, compatible or safe mode. Every request is signed with the shared Token;
 * safe-mode bodies are AES envelopes addressed to our AppID. WeChat retries a message three
 * times when it has no answer within 5 s: the same message is recognised and answered the
 * same way, and the answer is always given before the deadline.
 */
export async function wechatEndpoint(app: FastifyInstance, options: WechatEndpointOptions): Promise<void> {
  const { wechat } = options;
  const cipher = wechat.encodingAesKey ? new WechatCipher(wechat.encodingAesKey, wechat.appId) : undefined;
  // After the key is changed in the console, messages already encrypted with the old one keep
  // arriving (WeChat retries them): each is opened with whichever key it was sealed with.
  const previousCipher =
    cipher && wechat.previousEncodingAesKey
      ? new WechatCipher(wechat.previousEncodingAesKey, wechat.appId)
      : undefined;
  const maxSkew = wechat.maxClockSkewSeconds ?? 300;
  const deadlineMs = wechat.replyDeadlineMs ?? 4_000;

  // WeChat posts text/xml; some proxies rewrite or drop the header. Read every body as text here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: messageBodyLimit }, (_request, body, done) =>
    done(null, body),
  );

  const signed = (query: Record<string, unknown>) => {
    const value = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const timestamp = value('timestamp');
    const nonce = value('nonce');
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) {
      throw unauthorized('timestamp is missing or not a number of seconds', 'timestamp');
    }
    if (!nonce || !/^[\w-]{1,64}$/.test(nonce)) throw unauthorized('nonce is missing or malformed', 'nonce');
    if (Math.abs(options.now().getTime() / 1000 - Number(timestamp)) > maxSkew) {
      throw unauthorized(`timestamp is more than ${maxSkew} s away from now`, 'timestamp');
    }
    if (!signatureMatches(wechatSignature(wechat.token, timestamp, nonce), value('signature'))) {
      throw unauthorized('signature does not match', 'signature');
    }
    return { timestamp, nonce, value };
  };

  app.get('/wechat', async (request, reply) => {
    const { value } = signed(request.query as Record<string, unknown>);
    const echostr = value('echostr');
    // The echo is not covered by the signature: keep it to what WeChat sends, and never as HTML.
    if (!echostr || !/^[\w+/=-]{1,128}$/.test(echostr)) {
      throw badRequest([{ field: 'echostr', reason: 'missing or malformed' }]);
    }
    options.count('verify', 'ok');
    return reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(echostr);
  });

  // WeChat signs the query string, not the body: a request it did not sign is refused before
  // its body (up to 64 KiB) is read.
  const signedOnly = async (request: FastifyRequest) => {
    signed(request.query as Record<string, unknown>);
  };

  // The route says its limit too: a 413 names the limit the route reports (request.routeOptions).
  app.post('/wechat', { onRequest: signedOnly, bodyLimit: messageBodyLimit }, async (request, reply) => {
    const { nonce, value } = signed(request.query as Record<string, unknown>);
    const body = typeof request.body === 'string' ? request.body : '';
    const encrypted = value('encrypt_type') === 'aes';
    let xml: string;
    // The reply is sealed with the key that opened the message, as WeChat's FAQ asks.
    let replyCipher = cipher;
    try {
      if (encrypted) {
        if (!cipher || wechat.mode === 'plaintext') {
          throw new AppError(400, 'safe_mode_not_configured', 'this endpoint has no EncodingAESKey');
        }
        const { encrypt } = parseEncryptedEnvelope(body);
        const expected = wechatSignature(wechat.token, value('timestamp')!, nonce, encrypt);
        if (!signatureMatches(expected, value('msg_signature'))) {
          throw unauthorized('msg_signature does not match the envelope', 'msg_signature');
        }
        ({ xml, cipher: replyCipher } = decryptWithEither(encrypt, cipher, previousCipher));
      } else {
        if (wechat.mode === 'safe') {
          throw new AppError(
            400,
            'plaintext_refused',
            'this account is in safe mode: messages must be encrypted',
            [{ field: 'encrypt_type', reason: 'must be "aes"' }],
          );
        }
        xml = body;
      }
    } catch (error) {
      if (error instanceof WechatCryptoError) {
        options.count('message', 'undecryptable');
        // A wrong appid is a message for another account: refuse it as unauthenticated.
        throw error.message.includes('appid')
          ? unauthorized(error.message, 'xml.Encrypt')
          : badRequest([{ field: 'xml.Encrypt', reason: error.message }], 'the envelope cannot be decrypted');
      }
      if (error instanceof MessageError) throw badRequest(error.fields, 'the message is not valid');
      throw error;
    }

    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(xml);
    } catch (error) {
      if (error instanceof MessageError) throw badRequest(error.fields, 'the message is not valid');
      throw error;
    }

    const answer = async (): Promise<string> => {
      // The link carries the sender's OpenID, signed: their application can then be answered on WeChat.
      const ref = options.links.sign(message.from, options.now());
      const text = replyText(message, {
        towns: options.towns,
        applyUrl: (townCode) => options.applyUrl(townCode, ref),
      });
      return text === undefined ? '' : textReplyXml(message, text, options.now());
    };
    const kind = message.kind === 'event' ? `event:${message.event}` : message.kind;
    const work = (async () => {
      try {
        const outcome = await onceForKey(
          options.idempotency,
          `wechat:${wechat.appId}:${dedupeKey(message)}`,
          answer,
          {
            ttlMs: 10 * 60_000,
            pendingTtlMs: 30_000,
            waitMs: 1_000,
          },
        );
        if ('busy' in outcome) return { xml: '', outcome: 'in_progress' };
        return { xml: outcome.value, outcome: outcome.duplicate ? 'retry' : 'new' };
      } catch (error) {
        // Without the dedupe store a retry may be answered twice; an unanswered user is worse.
        request.log.warn({ err: error }, 'wechat dedupe store unavailable; answering anyway');
        return { xml: await answer(), outcome: 'new_unchecked' };
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      work,
      new Promise<{ xml: string; outcome: string }>((resolve) => {
        timer = setTimeout(() => resolve({ xml: '', outcome: 'deadline' }), deadlineMs);
      }),
    ]).finally(() => clearTimeout(timer));
    options.count(kind, result.outcome);
    request.log.info({ kind, outcome: result.outcome, encrypted }, 'wechat message handled');

    if (result.xml === '') return reply.type('text/plain; charset=utf-8').send(noReply);
    if (!encrypted || !replyCipher) return reply.type('application/xml; charset=utf-8').send(result.xml);
    const timestamp = String(Math.floor(options.now().getTime() / 1000));
    const envelope = replyCipher.encrypt(result.xml, randomBytes(16));
    const signature = wechatSignature(wechat.token, timestamp, nonce, envelope);
    return reply
      .type('application/xml; charset=utf-8')
      .send(
        `<xml><Encrypt>${cdata(envelope)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature>` +
          `<TimeStamp>${timestamp}</TimeStamp><Nonce>${cdata(nonce)}</Nonce></xml>`,
      );
  });
}

/** Opens an envelope with the current key, else the previous one; a failure is the current key's. */
function decryptWithEither(
  encrypt: string,
  current: WechatCipher,
  previous: WechatCipher | undefined,
): { xml: string; cipher: WechatCipher } {
  try {
    return { xml: current.decrypt(encrypt), cipher: current };
  } catch (error) {
    if (!previous || !(error instanceof WechatCryptoError)) throw error;
    try {
      return { xml: previous.decrypt(encrypt), cipher: previous };
    } catch {
      throw error;
    }
  }
}
