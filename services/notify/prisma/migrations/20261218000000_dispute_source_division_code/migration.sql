-- AlterTable
ALTER TABLE "notify"."dispute_sources" ADD COLUMN     "division_code" TEXT;

-- Where each dispute is now, as the departments were last told: the place of the latest routing
-- version it handed out (its assignments, updates and withdrawals carry it). Operators' reads judge
-- a case's deliveries by it (delivery-routes.ts `matterPlaceSql`); a dispute none was handed out
-- for stays null and its deliveries are judged by their own place, as before.
UPDATE "notify"."dispute_sources" AS s
   SET "division_code" = (
     SELECT d."division_code" FROM "notify"."deliveries" AS d
      WHERE d."dispute_id" = s."dispute_id"
        AND d."kind" IN ('assignment', 'assignment_update', 'withdrawal')
        AND d."division_code" IS NOT NULL
      ORDER BY d."version" DESC NULLS LAST, d."created_at" DESC
      LIMIT 1);
