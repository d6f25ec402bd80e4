-- A case is received when its first report was (the hotline's 受理时间, the court's referral, the
-- WeChat application's: the report's received_at), never after the report reached the platform
-- (src/domain/received.ts). created_at held the arrival of a live report: a backlog pushed after
-- an outage counted on the day it came in. This dates the cases opened before by the report that
-- opened each — the one its "received" history entry names, or, for a case an operator detached a
-- report into, that report — and moves their statistics and department index rows with them,
-- the way the write side moves a case's (src/stats/rollup.ts): what the case counted for at its
-- old date (sign -1) and at its new one (+1) are appended to case_stats_pending, folded within a
-- second. Historical imports were dated so already and do not move; nor does a case received
-- earlier on the same China day (its created_at keeps the arrival time).

-- Data only
CREATE TEMPORARY TABLE "received_moves" ON COMMIT DROP AS
SELECT DISTINCT ON (c."id") c."id", c."created_at" AS "arrived_at", r."received_at"
FROM "cases"."cases" c
JOIN "cases"."history" h ON h."case_id" = c."id"
  AND (h."type" = 'received' OR (h."type" = 'triage' AND h."detail"->>'detachedFrom' IS NOT NULL))
JOIN "cases"."reports" r ON r."dispute_id" = (h."detail"->>'disputeId')::uuid
WHERE r."received_at" < c."created_at"
  -- Only a case whose China day changes: a live report is received seconds to hours before it
  -- arrives, so nearly every case is a little late, but the received dates of the search, the
  -- statistics and the repeat window count days. Moving them all would rewrite every case row and
  -- its indexes in the one transaction of the service's start.
  AND ((r."received_at" AT TIME ZONE 'UTC') + interval '8 hours')::date
      <> ((c."created_at" AT TIME ZONE 'UTC') + interval '8 hours')::date
ORDER BY c."id", h."id";

INSERT INTO "cases"."case_stats_pending" ("sign", "created_at", "status", "channel", "category", "city_code",
  "county_code", "town_code", "express_level", "repeat_count", "merged", "outcome_kind", "ended_at", "due_at",
  "departments", "department_kinds")
SELECT s."sign", CASE s."sign" WHEN -1 THEN m."arrived_at" ELSE m."received_at" END, c."status", c."channel",
       c."category", c."city_code", c."county_code", c."town_code", c."express_level", c."repeat_count",
       c."merged_into_id" IS NOT NULL, c."outcome_kind", coalesce(c."resolved_at", c."closed_at"), c."due_at",
       coalesce(a."departments", '{}'), coalesce(a."department_kinds", '{}')
FROM "received_moves" m
JOIN "cases"."cases" c ON c."id" = m."id"
LEFT JOIN LATERAL (
  SELECT array_agg(DISTINCT "department_code" ORDER BY "department_code") AS "departments",
         array_agg(DISTINCT "department_kind" ORDER BY "department_kind") AS "department_kinds"
  FROM "cases"."assignments" WHERE "case_id" = c."id" AND "status" <> 'withdrawn'
) a ON TRUE
CROSS JOIN (VALUES (-1), (1)) s("sign");

UPDATE "cases"."department_cases" d
SET "created_at" = m."received_at"
FROM "received_moves" m
WHERE d."case_id" = m."id";

UPDATE "cases"."cases" c
SET "created_at" = m."received_at"
FROM "received_moves" m
WHERE c."id" = m."id";
