import { createHash } from 'node:crypto';
import type { Channel } from './vocabulary.ts';

/** The namespace of every Huijie UUIDv5. Changing it would change every dispute id: never do. */
const namespace = 'a4e5f0a2-6c1d-5b8e-9f3a-2d7c4b1e8a60';

const bytesOf = (uuid: string) => Buffer.from(uuid.replaceAll('-', ''), 'hex');
// Decoded once: ids are made a few dozen times per dispute (a quarter of each one's cost was this).
const namespaceBytes = bytesOf(namespace);

/** RFC 9562 UUIDv5 (SHA-1, name-based): the same name always gives the same id. */
export function uuidv5(name: string, ns: string = namespace): string {
  const nsBytes = ns === namespace ? namespaceBytes : bytesOf(ns);
  const hash = createHash('sha1').update(nsBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A dispute's id from its channel and the channel's own id, so a retried push yields the same id everywhere. */
export function disputeIdFor(channel: Channel, sourceRef: string): string {
  return uuidv5(`dispute:${channel}:${sourceRef}`);
}

/** The CloudEvents id of one revision of a dispute's intake event: a re-publish of it is recognisably the same event. */
export function intakeEventId(disputeId: string, revision: number): string {
  return uuidv5(`event:dispute.intake.v1:${disputeId}:${revision}`);
}

/**
 * The case a report opens: every report opens one of its own (the cases service, open-case.ts), a
 * repeat before it is folded into the case of the matter it repeats. Derived from the dispute, so
 * a service that has not heard of the case yet (notify, when routing's first decision comes first)
 * names the same one.
 */
export function caseIdOpenedBy(disputeId: string): string {
  return uuidv5(`case:${disputeId}`);
}
