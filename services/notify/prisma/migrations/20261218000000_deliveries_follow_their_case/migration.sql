-- AlterTable
ALTER TABLE "notify"."dispute_sources" ADD COLUMN     "division_code" TEXT;

-- Why: an operator sees a delivery when its division_code is in their jurisdiction, and that used
-- to be where the delivery was recorded. A case moves after some of its deliveries were recorded
-- (an operator's correction: routing's next decision places it elsewhere; a fold into another
-- case), and the cases API then shows the town it left no case, while notify kept showing that
-- town the deliveries recorded before, and let it replay their dead letters. From this release
-- notify moves a case's deliveries when it learns that the case moved (consumers/case-place.ts),
-- on the write side, so that reading stays a plain filter on division_code. The two updates below
-- bring the rows recorded before it in line, once, set-based. Both only write what differs, and
-- can be run again (after a rolling upgrade during which an older replica recorded a move: see
-- test/security/README.md).

-- Where each dispute is now, as its departments were last told: the place of the latest routing
-- version handed out of it (its assignments, updates and withdrawals carry that version's place; a
-- fold's withdrawal, that of the assignment it takes back). Null for a dispute none was handed out for.
UPDATE "notify"."dispute_sources" AS s
   SET "division_code" = latest."division_code"
  FROM (SELECT DISTINCT ON (d."dispute_id") d."dispute_id", d."division_code"
          FROM "notify"."deliveries" AS d
         WHERE d."dispute_id" IS NOT NULL AND d."division_code" IS NOT NULL
           AND d."kind" IN ('assignment', 'assignment_update', 'withdrawal')
         ORDER BY d."dispute_id", d."version" DESC NULLS LAST, d."created_at" DESC) AS latest
 WHERE s."dispute_id" = latest."dispute_id"
   AND s."division_code" IS DISTINCT FROM latest."division_code";

-- Each delivery of a dispute goes where the dispute's case is: the place of the case's own dispute
-- (its first report, the one routing routes the case under) — for a report folded into another
-- case, the dispute that case is known by (merged_into_dispute_id); else the dispute itself.
-- Express-lane notices stay where they went (the secretary's level: a notice to the county's
-- secretary is the county's). A case's deliveries of no dispute (case_result) were recorded when it
-- ended, at its place then, and no case moves once it has ended: they stay as they are.
WITH heads AS (
  SELECT c."dispute_id",
         CASE WHEN c."merged_into" IS NOT NULL THEN c."merged_into_dispute_id" ELSE c."dispute_id" END AS "head_id"
    FROM "notify"."case_disputes" AS c
  UNION ALL
  SELECT s."dispute_id", s."dispute_id"
    FROM "notify"."dispute_sources" AS s
   WHERE NOT EXISTS (SELECT 1 FROM "notify"."case_disputes" AS c WHERE c."dispute_id" = s."dispute_id")
)
UPDATE "notify"."deliveries" AS d
   SET "division_code" = head."division_code", "updated_at" = now()
  FROM heads
  JOIN "notify"."dispute_sources" AS head ON head."dispute_id" = heads."head_id"
 WHERE d."dispute_id" = heads."dispute_id"
   AND d."kind" <> 'escalation_notice'
   AND head."division_code" IS NOT NULL
   AND d."division_code" IS DISTINCT FROM head."division_code";
