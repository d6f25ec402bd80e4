-- The search measured again at a million cases (bench/cases-api.ts), each slow search explained.
-- Partial indexes are beyond Prisma's schema language, so like those of 20261129032000 these live
-- in the migrations only.

-- A town or county operator filtering by status (`?status=mediating`, `?status=unresolved`): no
-- index held both, so the planner either intersected the place's and the status's bitmaps (15,000
-- and 6,600 entries for a town's mediating cases: ~10 ms) or walked the place's cases newest first
-- testing each (21,000 rows for a county's unresolved ones: ~13-17 ms). Keyed by place, status,
-- then the order of the listing, one status (sent as `status = $1`, see filters.ts) is a walk of
-- exactly the page.
-- CreateIndex
CREATE INDEX "cases_town_status_created_idx" ON "cases"."cases"("town_code", "status", "created_at", "id") WHERE "merged_into_id" IS NULL;

-- CreateIndex
CREATE INDEX "cases_county_status_created_idx" ON "cases"."cases"("county_code", "status", "created_at", "id") WHERE "merged_into_id" IS NULL;
