-- The search measured again at a million cases (bench/cases-api.ts), each slow search explained.
-- Partial indexes and INCLUDE columns are beyond Prisma's schema language, so like the partial
-- indexes of 20261129032000 these live in the migrations only.

-- 1. Every page looks up the live assignments of its rows (the departments of each case, up to 200
-- lookups). With the assignment's listed columns in the index, the lookup reads the index alone
-- (an index-only scan) instead of the index and then a heap page per case.
-- CreateIndex
CREATE INDEX "assignments_live_case_idx" ON "cases"."assignments"("case_id") INCLUDE ("role", "department_code", "department_name", "status") WHERE "status" <> 'withdrawn';

-- 2. A town or county operator filtering by status (`?status=mediating`): the planner had no index
-- holding both, and either intersected the place's and the status's bitmaps (15,000 and 6,600
-- entries for a town's mediating cases: ~10 ms) or walked the place's cases newest first testing
-- each (21,000 rows for a county's unresolved ones: ~13 ms). Keyed by place, then status, then
-- the order of the listing, one status is a walk of exactly the page.
-- CreateIndex
CREATE INDEX "cases_town_status_created_idx" ON "cases"."cases"("town_code", "status", "created_at", "id") WHERE "merged_into_id" IS NULL;

-- CreateIndex
CREATE INDEX "cases_county_status_created_idx" ON "cases"."cases"("county_code", "status", "created_at", "id") WHERE "merged_into_id" IS NULL;
