import type { FieldProblem } from '@huijie/service-kit/errors.ts';
import { leafFields, parseXml, XmlError } from './xml.ts';

/** A message from WeChat's servers, reduced to what the endpoint acts on. */
export type InboundMessage =
  | (Envelope & { kind: 'text'; msgId: string; content: string })
  | (Envelope & { kind: 'event'; event: string; eventKey: string | undefined })
  | (Envelope & { kind: 'other'; msgType: string; msgId: string | undefined });

interface Envelope {
  /** The official account's own id (gh_…). */
  to: string;
  /** The user's OpenID for this account. */
  from: string;
  createTime: number;
}

export class MessageError extends Error {
  constructor(readonly fields: FieldProblem[]) {
    super(fields.map((field) => `${field.field}: ${field.reason}`).join('; '));
  }
}

const idPattern = /^[\w-]{1,128}$/;

/** XML → a typed message; throws MessageError naming the failing field (as `xml.<Field>`). */
export function parseMessage(xml: string): InboundMessage {
  let fields: Map<string, string>;
  try {
    fields = leafFields(parseXml(xml));
  } catch (error) {
    if (error instanceof XmlError) throw new MessageError([{ field: 'xml', reason: error.message }]);
    throw error;
  }
  const problems: FieldProblem[] = [];
  const get = (name: string, pattern?: RegExp, reason?: string): string => {
    const value = fields.get(name)?.trim();
    if (value === undefined || value === '') problems.push({ field: `xml.${name}`, reason: 'required' });
    else if (pattern && !pattern.test(value))
      problems.push({ field: `xml.${name}`, reason: reason ?? 'invalid' });
    return value ?? '';
  };
  const to = get('ToUserName', idPattern, 'an account id');
  const from = get('FromUserName', idPattern, 'an OpenID');
  const createTime = get('CreateTime', /^\d{1,12}$/, 'seconds since the epoch');
  const msgType = get('MsgType', /^[a-z_]{1,32}$/, 'a message type');
  if (problems.length > 0) throw new MessageError(problems);
  const envelope = { to, from, createTime: Number(createTime) };

  if (msgType === 'event') {
    const event = get('Event', /^[A-Za-z_]{1,64}$/, 'an event name');
    if (problems.length > 0) throw new MessageError(problems);
    const key = fields.get('EventKey')?.trim();
    return { ...envelope, kind: 'event', event, eventKey: key === '' ? undefined : key };
  }
  const msgId = fields.get('MsgId')?.trim();
  if (msgId !== undefined && !/^\d{1,32}$/.test(msgId)) {
    throw new MessageError([{ field: 'xml.MsgId', reason: 'a numeric message id' }]);
  }
  if (msgType === 'text') {
    const content = fields.get('Content') ?? '';
    if (msgId === undefined) throw new MessageError([{ field: 'xml.MsgId', reason: 'required' }]);
    // No length limit of our own: a refused message shows the user "该公众号暂时无法提供服务",
    // and the endpoint's 64 KiB body limit already bounds what is read.
    return { ...envelope, kind: 'text', msgId, content };
  }
  return { ...envelope, kind: 'other', msgType, msgId };
}

/**
 * What identifies one message across WeChat's retries: MsgId for messages; for events (which
 * have none) FromUserName + CreateTime, as WeChat documents, plus the event name so that two
 * different events in the same second (subscribe and LOCATION) are not taken for one.
 */
export function dedupeKey(message: InboundMessage): string {
  if (message.kind === 'event') return `evt:${message.from}:${message.createTime}:${message.event}`;
  if (message.kind === 'text' || message.msgId !== undefined) return `msg:${message.msgId}`;
  return `other:${message.from}:${message.createTime}:${message.msgType}`;
}

/** The encrypted envelope of safe mode: <xml><ToUserName/><Encrypt/></xml>. */
export function parseEncryptedEnvelope(xml: string): { encrypt: string; plainFields: Map<string, string> } {
  let fields: Map<string, string>;
  try {
    fields = leafFields(parseXml(xml));
  } catch (error) {
    if (error instanceof XmlError) throw new MessageError([{ field: 'xml', reason: error.message }]);
    throw error;
  }
  const encrypt = fields.get('Encrypt')?.trim();
  if (!encrypt) throw new MessageError([{ field: 'xml.Encrypt', reason: 'required in safe mode' }]);
  return { encrypt, plainFields: fields };
}
