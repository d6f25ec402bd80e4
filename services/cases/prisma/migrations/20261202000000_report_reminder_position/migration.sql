-- The furthest 催办 (reminder) each report has reached, as the hotline orders them: the count, then
-- the time of the last one (src/consumers/open-case.ts). A revision whose reminder goes beyond it
-- is a new 催办, recorded once; one without the block, or at or behind it, is none. (The count was
-- compared with the revision just before only: a later lastAt at the same count was lost, and the
-- same reminder again after an update without the block was counted a second time.)
ALTER TABLE "cases"."reports" ADD COLUMN "reminder_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "reminder_last_at" TIMESTAMPTZ(3);

-- Reports written before start at the furthest their case can tell: the highest count of their
-- `reminder` history entries (on any case: a report folded or detached leaves its history behind)
-- or of the reminder their latest revision carries, with that revision's lastAt when it carries
-- that count (the history kept no times).
WITH "recorded" AS (
  SELECT "detail"->>'disputeId' AS "dispute_id", max(("detail"->>'reminders')::int) AS "count"
  FROM "cases"."history"
  WHERE "type" = 'reminder' AND "detail" ? 'disputeId' AND "detail" ? 'reminders'
  GROUP BY 1
), "positions" AS (
  SELECT r."dispute_id",
         coalesce((r."intake"->'hotline'->'reminder'->>'count')::int, 0) AS "carried",
         date_trunc('milliseconds', (r."intake"->'hotline'->'reminder'->>'lastAt')::timestamptz) AS "last_at",
         coalesce(h."count", 0) AS "recorded"
  FROM "cases"."reports" r
  LEFT JOIN "recorded" h ON h."dispute_id" = r."dispute_id"::text
  WHERE r."intake"->'hotline'->'reminder' IS NOT NULL OR h."count" IS NOT NULL
)
UPDATE "cases"."reports" r
SET "reminder_count" = greatest(p."carried", p."recorded"),
    "reminder_last_at" = CASE WHEN p."carried" >= p."recorded" THEN p."last_at" END
FROM "positions" p
WHERE r."dispute_id" = p."dispute_id";
