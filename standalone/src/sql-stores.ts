import type { SqlClient } from '@huijie/database/sql-client.ts';
import type {
  ApplicationRecord,
  ApplicationStore,
  StatusRecord,
} from '@huijie/ingest-wechat/application/store.ts';
import type { IdempotencyStore } from '@huijie/service-kit/idempotency.ts';

/*
 * The stores distributed mode keeps in Redis, kept by standalone mode in the embedded database
 * beside the event log: what ingest acknowledged, and what a citizen can look up, must survive
 * `npm start` being stopped and started again.
 */

/**
 * Standalone mode's idempotency store, in the embedded database beside the event log: what
 * ingest has accepted must survive a restart as Redis does in the distributed mode. In memory,
 * a restart forgot every order: a hotline's retry of an acknowledged push was answered
 * `duplicate: false`, and a 催办 on an order pushed before the restart was written as its
 * revision 1 again — an event id consumers had already seen, so the reminder was dropped.
 * A row without a value is a pending claim; expiry is in epoch milliseconds, as Redis's PX.
 */
export async function sqlIdempotency(sql: SqlClient): Promise<IdempotencyStore> {
  await sql.query('CREATE SCHEMA IF NOT EXISTS standalone');
  await sql.query(`CREATE TABLE IF NOT EXISTS standalone.idempotency (
    key TEXT PRIMARY KEY, value TEXT, expires_at BIGINT NOT NULL)`);
  // Redis drops expired keys by itself; here they go at each start.
  await sql.query('DELETE FROM standalone.idempotency WHERE expires_at < $1::bigint', [String(Date.now())]);
  const store: IdempotencyStore = {
    async claim(key, ttlMs) {
      const now = Date.now();
      // SET NX with an expiry: a new key, or one whose claim or value has expired, is ours.
      const { rows: claimed } = await sql.query(
        `INSERT INTO standalone.idempotency (key, value, expires_at) VALUES ($1, NULL, $2::bigint)
         ON CONFLICT (key) DO UPDATE SET value = NULL, expires_at = EXCLUDED.expires_at
         WHERE standalone.idempotency.expires_at < $3::bigint
         RETURNING key`,
        [key, String(now + ttlMs), String(now)],
      );
      if (claimed.length > 0) return { claimed: true };
      const { rows } = await sql.query<{ value: string | null }>(
        'SELECT value FROM standalone.idempotency WHERE key = $1',
        [key],
      );
      // Released between the two statements: claim again.
      if (rows.length === 0) return store.claim(key, ttlMs);
      return { claimed: false, done: rows[0]!.value };
    },
    async complete(key, value, ttlMs) {
      await sql.query(
        `INSERT INTO standalone.idempotency (key, value, expires_at) VALUES ($1, $2, $3::bigint)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
        [key, value, String(Date.now() + ttlMs)],
      );
    },
    async release(key) {
      await sql.query('DELETE FROM standalone.idempotency WHERE key = $1', [key]);
    },
  };
  return store;
}

/**
 * The WeChat applications a citizen can look up (ingest-wechat's read model), one row per
 * dispute: its tracking number once expected, the record once saved, the latest case status.
 */
export async function sqlApplicationStore(sql: SqlClient): Promise<ApplicationStore> {
  await sql.query('CREATE SCHEMA IF NOT EXISTS standalone');
  await sql.query(`CREATE TABLE IF NOT EXISTS standalone.wechat_applications (
    dispute_id TEXT PRIMARY KEY, tracking_no TEXT NOT NULL UNIQUE, record JSONB, status JSONB)`);
  return {
    async expect(disputeId, trackingNo) {
      await sql.query(
        `INSERT INTO standalone.wechat_applications (dispute_id, tracking_no) VALUES ($1, $2)
         ON CONFLICT (dispute_id) DO NOTHING`,
        [disputeId, trackingNo],
      );
    },
    async save(record) {
      // The first record stays: a retried submission keeps its first time.
      const { rows } = await sql.query<{ record: ApplicationRecord }>(
        `INSERT INTO standalone.wechat_applications (dispute_id, tracking_no, record) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (dispute_id) DO UPDATE
           SET record = coalesce(standalone.wechat_applications.record, EXCLUDED.record)
         RETURNING record`,
        [record.disputeId, record.trackingNo, JSON.stringify(record)],
      );
      return rows[0]!.record;
    },
    async find(trackingNo) {
      const { rows } = await sql.query<{ record: ApplicationRecord | null }>(
        'SELECT record FROM standalone.wechat_applications WHERE tracking_no = $1',
        [trackingNo],
      );
      return rows[0]?.record ?? undefined;
    },
    async noteStatus(disputeId, status) {
      const { rows } = await sql.query(
        `UPDATE standalone.wechat_applications SET status = $2::jsonb WHERE dispute_id = $1 RETURNING dispute_id`,
        [disputeId, JSON.stringify(status)],
      );
      return rows.length > 0;
    },
    async status(disputeId) {
      const { rows } = await sql.query<{ status: StatusRecord | null }>(
        'SELECT status FROM standalone.wechat_applications WHERE dispute_id = $1',
        [disputeId],
      );
      return rows[0]?.status ?? undefined;
    },
  };
}
