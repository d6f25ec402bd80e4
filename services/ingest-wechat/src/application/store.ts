import type { CaseStatus } from '@huijie/contracts/events/case-status-v1.ts';
import type { Redis } from 'ioredis';

/**
 * What the ingest edge remembers of an application so that the applicant can ask about it:
 * the tracking number, where it was filed, when, the last four digits of the phone that
 * confirm the asker, and the latest case status it has heard of. Cases owns the case; this
 * is a small read model fed by case.status.v1, nothing more.
 */
export interface ApplicationRecord {
  trackingNo: string;
  disputeId: string;
  townCode: string;
  receivedAt: string;
  phoneLast4: string;
}

export interface StatusRecord {
  status: CaseStatus;
  at: string;
}

export interface ApplicationStore {
  /** Before the event is published: lets a status event that comes back fast find its application. */
  expect(disputeId: string, trackingNo: string): Promise<void>;
  /** After the event is durable. Keeps the first record: a retried submission keeps its first time. */
  save(record: ApplicationRecord): Promise<ApplicationRecord>;
  find(trackingNo: string): Promise<ApplicationRecord | undefined>;
  /**
   * Records a case status for a dispute this edge took in (others are ignored). Applied in
   * delivery order: one case's events arrive in order on its key, and `occurredAt` cannot
   * order them (an assignment decided before the case was opened carries the earlier time).
   */
  noteStatus(disputeId: string, status: StatusRecord): Promise<boolean>;
  status(disputeId: string): Promise<StatusRecord | undefined>;
}

const yearMs = 400 * 24 * 3600 * 1000;

export function redisApplicationStore(
  redis: Redis,
  options: { prefix?: string; ttlMs?: number } = {},
): ApplicationStore {
  const prefix = options.prefix ?? 'huijie:wechat:';
  const ttl = options.ttlMs ?? yearMs;
  return {
    async expect(disputeId, trackingNo) {
      await redis.set(`${prefix}dispute:${disputeId}`, trackingNo, 'PX', ttl);
    },
    async save(record) {
      const key = `${prefix}application:${record.trackingNo}`;
      const created = await redis.set(key, JSON.stringify(record), 'PX', ttl, 'NX');
      if (created === 'OK') return record;
      return (await this.find(record.trackingNo)) ?? record;
    },
    async find(trackingNo) {
      const raw = await redis.get(`${prefix}application:${trackingNo}`);
      return raw === null ? undefined : (JSON.parse(raw) as ApplicationRecord);
    },
    async noteStatus(disputeId, status) {
      if ((await redis.exists(`${prefix}dispute:${disputeId}`)) === 0) return false;
      await redis.set(`${prefix}status:${disputeId}`, JSON.stringify(status), 'PX', ttl);
      return true;
    },
    async status(disputeId) {
      const raw = await redis.get(`${prefix}status:${disputeId}`);
      return raw === null ? undefined : (JSON.parse(raw) as StatusRecord);
    },
  };
}

/** The same in this process's memory, for tests (standalone mode keeps its store in its data directory). */
export function memoryApplicationStore(): ApplicationStore {
  const expected = new Map<string, string>();
  const records = new Map<string, ApplicationRecord>();
  const statuses = new Map<string, StatusRecord>();
  return {
    async expect(disputeId, trackingNo) {
      expected.set(disputeId, trackingNo);
    },
    async save(record) {
      const existing = records.get(record.trackingNo);
      if (existing) return existing;
      records.set(record.trackingNo, record);
      return record;
    },
    async find(trackingNo) {
      return records.get(trackingNo);
    },
    async noteStatus(disputeId, status) {
      if (!expected.has(disputeId)) return false;
      statuses.set(disputeId, status);
      return true;
    },
    async status(disputeId) {
      return statuses.get(disputeId);
    },
  };
}
