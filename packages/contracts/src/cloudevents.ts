/**
 * CloudEvents 1.0 Kafka protocol binding, binary mode: attributes travel as `ce_*` headers,
 * the body is the event's data as JSON, the key is the dispute (or case) id.
 */
export const ceHeaders = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  specversion: 'ce_specversion',
  subject: 'ce_subject',
  contentType: 'content-type',
  /** Extension attribute: follows one dispute from the first push to the last notification. */
  correlationId: 'ce_correlationid',
} as const;

/** Headers added to a dead-lettered message, beside the original ones. */
export const dlqHeaders = {
  topic: 'huijie_dlq_topic',
  partition: 'huijie_dlq_partition',
  offset: 'huijie_dlq_offset',
  group: 'huijie_dlq_group',
  error: 'huijie_dlq_error',
  attempts: 'huijie_dlq_attempts',
  failedAt: 'huijie_dlq_failed_at',
} as const;

/** Headers of a dead letter sent again to its topic (`scripts/dead-letters.ts redrive`). */
export const redriveHeaders = {
  /** The consumer group that parked it: every other group handled it the first time, and skips it. */
  group: 'huijie_redrive_group',
  /** Where it was parked, `<dead-letter topic>/<partition>/<offset>`. */
  from: 'huijie_redrive_from',
  /**
   * On the dead-letter topic, a record that is no dead letter: how far the group named has had its
   * dead letters sent again (`{"through":{"<partition>":"<next offset>"}}`).
   */
  mark: 'huijie_redrive_mark',
} as const;

export interface CloudEventAttributes {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  correlationId?: string;
}

export function toHeaders(attrs: CloudEventAttributes): Record<string, string> {
  const headers: Record<string, string> = {
    [ceHeaders.id]: attrs.id,
    [ceHeaders.type]: attrs.type,
    [ceHeaders.source]: attrs.source,
    [ceHeaders.time]: attrs.time,
    [ceHeaders.specversion]: '1.0',
    [ceHeaders.contentType]: 'application/json',
  };
  if (attrs.subject) headers[ceHeaders.subject] = attrs.subject;
  if (attrs.correlationId) headers[ceHeaders.correlationId] = attrs.correlationId;
  return headers;
}

export type HeaderProblem = { field: string; reason: string };

/** Reads the CloudEvents attributes back; a missing required one is a problem, not an exception. */
export function fromHeaders(
  headers: Record<string, string | undefined>,
): { ok: true; attrs: CloudEventAttributes } | { ok: false; problem: HeaderProblem } {
  for (const field of ['id', 'type', 'source', 'time', 'specversion'] as const) {
    if (!headers[ceHeaders[field]])
      return { ok: false, problem: { field: ceHeaders[field], reason: 'missing' } };
  }
  if (headers[ceHeaders.specversion] !== '1.0') {
    return {
      ok: false,
      problem: { field: ceHeaders.specversion, reason: 'only CloudEvents 1.0 is understood' },
    };
  }
  const attrs: CloudEventAttributes = {
    id: headers[ceHeaders.id]!,
    type: headers[ceHeaders.type]!,
    source: headers[ceHeaders.source]!,
    time: headers[ceHeaders.time]!,
  };
  const subject = headers[ceHeaders.subject];
  const correlationId = headers[ceHeaders.correlationId];
  if (subject) attrs.subject = subject;
  if (correlationId) attrs.correlationId = correlationId;
  return { ok: true, attrs };
}
