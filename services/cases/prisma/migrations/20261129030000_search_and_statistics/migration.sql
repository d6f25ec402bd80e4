-- The one-screen statistics, precomputed (see services/cases/src/stats/rollup.ts): per local day
-- and per month, per place at each level, per dimension value, the sums the statistics need.
-- CreateTable
CREATE TABLE "cases"."case_stats" (
    "basis" TEXT NOT NULL,
    "dim" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "place" TEXT NOT NULL,
    "grain" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "value" TEXT NOT NULL,
    "cases" INTEGER NOT NULL DEFAULT 0,
    "escalated" INTEGER NOT NULL DEFAULT 0,
    "repeat_reports" INTEGER NOT NULL DEFAULT 0,
    "with_repeats" INTEGER NOT NULL DEFAULT 0,
    "mediated" INTEGER NOT NULL DEFAULT 0,
    "not_mediated" INTEGER NOT NULL DEFAULT 0,
    "withdrawn" INTEGER NOT NULL DEFAULT 0,
    "resolution_seconds" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "case_stats_pkey" PRIMARY KEY ("basis","dim","level","place","grain","day","value")
);

-- CreateIndex
CREATE INDEX "case_stats_basis_dim_level_grain_day_place_idx" ON "cases"."case_stats"("basis", "dim", "level", "grain", "day", "place");

-- What one case contributes to case_stats (day grain), the single definition used both by the
-- incremental upkeep (applyCaseChange: after minus before) and by the full rebuild.
--   basis 'received': keyed by the day the case was received, its current state (status, lane, repeats);
--   basis 'ended':    keyed by the day it ended (resolved_at, else closed_at), with its outcome and duration.
-- Places: the city (or '' for a case not placed yet), its county, its town. Merged cases count nowhere.
-- The resolution dimension holds a histogram of durations (hour buckets below 72 h, day buckets
-- below a year) from which the median is read.
-- CreateFunction
CREATE OR REPLACE FUNCTION "cases"."case_stat_rows"(
    "p_created_at" TIMESTAMPTZ,
    "p_status" TEXT,
    "p_channel" TEXT,
    "p_category" TEXT,
    "p_city_code" TEXT,
    "p_county_code" TEXT,
    "p_town_code" TEXT,
    "p_express_level" TEXT,
    "p_repeat_count" INTEGER,
    "p_merged" BOOLEAN,
    "p_outcome_kind" TEXT,
    "p_ended_at" TIMESTAMPTZ,
    "p_departments" TEXT[],
    "p_department_kinds" TEXT[]
) RETURNS TABLE (
    "basis" TEXT,
    "day" DATE,
    "level" TEXT,
    "place" TEXT,
    "dim" TEXT,
    "value" TEXT,
    "cases" INTEGER,
    "escalated" INTEGER,
    "repeat_reports" INTEGER,
    "with_repeats" INTEGER,
    "mediated" INTEGER,
    "not_mediated" INTEGER,
    "withdrawn" INTEGER,
    "resolution_seconds" BIGINT
) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT b.b_basis, b.b_day, p.p_level, p.p_place, d.d_dim, d.d_value,
       1, b.b_escalated, b.b_repeat_reports, b.b_with_repeats,
       b.b_mediated, b.b_not_mediated, b.b_withdrawn, b.b_seconds
FROM (
    SELECT 'received'::text AS b_basis,
           ((p_created_at AT TIME ZONE 'UTC') + interval '8 hours')::date AS b_day,
           (p_express_level IS NOT NULL)::int AS b_escalated,
           p_repeat_count AS b_repeat_reports,
           (p_repeat_count > 0)::int AS b_with_repeats,
           0 AS b_mediated, 0 AS b_not_mediated, 0 AS b_withdrawn,
           0::bigint AS b_seconds
    WHERE NOT p_merged
    UNION ALL
    SELECT 'ended'::text,
           ((p_ended_at AT TIME ZONE 'UTC') + interval '8 hours')::date,
           (p_express_level IS NOT NULL)::int,
           0, 0,
           (p_outcome_kind = 'mediated')::int,
           (p_outcome_kind = 'not_mediated')::int,
           (p_outcome_kind = 'withdrawn')::int,
           greatest(0, floor(extract(epoch FROM p_ended_at - p_created_at)))::bigint
    WHERE NOT p_merged AND p_outcome_kind IS NOT NULL AND p_ended_at IS NOT NULL
) b
CROSS JOIN LATERAL (
    VALUES ('city'::text, coalesce(p_city_code, '')), ('county'::text, p_county_code), ('town'::text, p_town_code)
) p(p_level, p_place)
CROSS JOIN LATERAL (
    SELECT 'all'::text AS d_dim, ''::text AS d_value
    UNION ALL SELECT 'status', p_status WHERE b.b_basis = 'received'
    UNION ALL SELECT 'channel', p_channel
    UNION ALL SELECT 'category', coalesce(p_category, '')
    UNION ALL SELECT 'express', p_express_level WHERE p_express_level IS NOT NULL
    UNION ALL SELECT 'department', x FROM unnest(p_departments) x
    UNION ALL SELECT 'department_kind', x FROM unnest(p_department_kinds) x
    UNION ALL SELECT 'resolution',
        CASE WHEN b.b_seconds < 72 * 3600 THEN floor(b.b_seconds / 3600)::bigint
             WHEN b.b_seconds < 8760 * 3600 THEN floor(b.b_seconds / 86400)::bigint * 24
             ELSE 8760 END::text
        WHERE b.b_basis = 'ended'
) d
WHERE p.p_place IS NOT NULL
$$;

-- Open cases only (a small share of all cases once the platform has run a while): the live
-- "open now / overdue now / escalated and open" figures read this index alone.
-- CreateIndex
CREATE INDEX "cases_open_idx" ON "cases"."cases"("county_code", "town_code", "due_at", "express_level", "city_code") WHERE "merged_into_id" IS NULL AND "status" IN ('received', 'triage', 'assigned', 'accepted', 'mediating');
