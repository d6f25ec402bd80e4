import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@huijie/service-kit/signing.ts';

/** One request as a receiver saw it. */
export interface Received {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  json: unknown;
  /** The stable id notify puts on every try of one delivery. */
  deliveryId: string | undefined;
  signatureOk: boolean;
}

/** What the receiver does with the n-th request (0-based): answer with a status, or hold it. */
export type Behaviour = (
  request: Received,
  index: number,
) =>
  | { status: number; body?: string; headers?: Record<string, string> }
  | { holdMs: number; status?: number };

export interface Receiver {
  url: string;
  requests: Received[];
  /** Deliveries this receiver acted on, once each: what a receiver that dedupes on the id applies. */
  applied: Map<string, Received>;
  /** Requests that came for a delivery id already applied (answered 200, not applied again). */
  duplicates: Received[];
  behave(behaviour: Behaviour): void;
  /** Called when a request arrives, before it is answered. */
  onRequest(listener: (request: Received) => void): void;
  close(): Promise<void>;
}

export const ok: Behaviour = () => ({ status: 200, body: '{"ok":true}' });
export const failFirst =
  (n: number, status = 503): Behaviour =>
  (_request, index) =>
    index < n ? { status } : { status: 200 };

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A real HTTP receiver on 127.0.0.1 — an agency's webhook, the hotline's or a court's callback
 * endpoint, an SMS gateway — that checks our signature and deduplicates on the delivery id, as
 * the receivers' contract asks.
 */
export async function startReceiver(secret: string, behaviour: Behaviour = ok): Promise<Receiver> {
  let current = behaviour;
  let listener: ((request: Received) => void) | undefined;
  const requests: Received[] = [];
  const applied = new Map<string, Received>();
  const duplicates: Received[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]),
    ) as Record<string, string>;
    let signatureOk = true;
    try {
      verifySignature(req.headers, Buffer.from(body), () => secret);
    } catch {
      signatureOk = false;
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const received: Received = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers,
      body,
      json,
      deliveryId: headers['x-huijie-delivery'],
      signatureOk,
    };
    const index = requests.length;
    requests.push(received);
    listener?.(received);
    if (!signatureOk) {
      res.writeHead(401).end();
      return;
    }
    const answer = current(received, index);
    if ('holdMs' in answer) await new Promise((resolve) => setTimeout(resolve, answer.holdMs));
    const status = answer.status ?? 200;
    if (status >= 200 && status < 300 && received.deliveryId) {
      // The receiver acts on a delivery once; a repeat is acknowledged without acting again.
      if (applied.has(received.deliveryId)) duplicates.push(received);
      else applied.set(received.deliveryId, received);
    }
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...('headers' in answer && answer.headers) });
    res.end('body' in answer && answer.body !== undefined ? answer.body : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    applied,
    duplicates,
    behave(next) {
      current = next;
    },
    onRequest(next) {
      listener = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A stand-in for api.weixin.qq.com: the token endpoint and the two message APIs. */
export interface FakeWechat {
  apiBase: string;
  tokenRequests: number;
  messages: { path: string; token: string; body: Record<string, unknown> }[];
  /** Lifetime of the tokens it hands out, in seconds. */
  expiresIn: number;
  /** Makes the next message answer this errcode once (e.g. 40001: the token was refreshed elsewhere). */
  failNextWith(errcode: number): void;
  /** Answers every message to this OpenID with this errcode (43004: the user unfollowed the account). */
  refuse(openId: string, errcode: number): void;
  /** Revokes every token handed out so far (as a refresh by someone else would after 5 minutes). */
  revokeAll(): void;
  close(): Promise<void>;
}

export async function startFakeWechat(appId: string, appSecret: string): Promise<FakeWechat> {
  /** Token → when it stops being valid. */
  const valid = new Map<string, number>();
  let next: number | undefined;
  const refusals = new Map<string, number>();
  const state: FakeWechat = {
    apiBase: '',
    tokenRequests: 0,
    messages: [],
    expiresIn: 7200,
    failNextWith(errcode) {
      next = errcode;
    },
    refuse(openId, errcode) {
      refusals.set(openId, errcode);
    },
    revokeAll() {
      valid.clear();
    },
    close: async () => {},
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/cgi-bin/token') {
      state.tokenRequests++;
      if (url.searchParams.get('appid') !== appId || url.searchParams.get('secret') !== appSecret)
        return reply({ errcode: 40125, errmsg: 'invalid appsecret' });
      const token = `TOKEN-${state.tokenRequests}`;
      valid.set(token, Date.now() + state.expiresIn * 1000);
      return reply({ access_token: token, expires_in: state.expiresIn });
    }
    const body = JSON.parse((await readBody(req)) || '{}');
    const token = url.searchParams.get('access_token') ?? '';
    state.messages.push({ path: url.pathname, token, body });
    if (next !== undefined) {
      const errcode = next;
      next = undefined;
      return reply({ errcode, errmsg: 'injected' });
    }
    const until = valid.get(token);
    if (until === undefined) return reply({ errcode: 40001, errmsg: 'invalid credential' });
    if (until < Date.now()) return reply({ errcode: 42001, errmsg: 'access_token expired' });
    const refusal = refusals.get(String(body.touser));
    if (refusal !== undefined) return reply({ errcode: refusal, errmsg: 'refused' });
    return reply({ errcode: 0, errmsg: 'ok', msgid: state.messages.length });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
