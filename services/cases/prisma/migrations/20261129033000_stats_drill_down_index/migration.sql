-- Drill-down (the towns of a county, the counties of the city) reads every place of a level over a
-- range of days: the day-first index now carries the sums too, so it is read alone, in a few range
-- scans, instead of one lookup per place.
-- DropIndex
DROP INDEX IF EXISTS "cases"."case_stats_basis_dim_level_grain_day_place_idx";

-- CreateIndex
CREATE INDEX "case_stats_by_day_covering_idx" ON "cases"."case_stats"("basis", "dim", "level", "grain", "day", "place", "value", "cases", "escalated", "repeat_reports", "with_repeats", "mediated", "not_mediated", "withdrawn", "resolution_seconds");
