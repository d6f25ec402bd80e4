-- The read side measured at a million cases (bench/cases-api.ts), and what it needed.

-- 1. Search. The jurisdiction filter of every search is a prefix test on the case's most specific
-- division, coalesce(town_code, county_code, city_code). Without statistics on that expression
-- PostgreSQL guesses it keeps a fraction of a percent of the rows and reads the whole table to
-- sort it instead of walking an index in the order asked for.
-- CreateStatistics
CREATE STATISTICS IF NOT EXISTS "cases"."cases_division_stats" ON (coalesce("town_code", "county_code", "city_code")) FROM "cases"."cases";

-- The secretary express lane is a small share of the cases, listed newest first.
-- CreateIndex
CREATE INDEX "cases_express_created_idx" ON "cases"."cases"("created_at", "id") WHERE "express_level" IS NOT NULL AND "merged_into_id" IS NULL;

-- The same test as search_grams @> grams, opaque to the planner: for words so common that
-- walking the cases in the order asked for finds a page sooner than collecting every match through
-- the GIN index (see src/search/gram-stats.ts). The planner cannot see inside a PL/pgSQL function,
-- so it neither uses the index for it nor trusts its (much too low) estimate of the matches.
-- CreateFunction
CREATE OR REPLACE FUNCTION "cases"."grams_contain"("haystack" TEXT[], "needles" TEXT[]) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$ BEGIN RETURN haystack @> needles; END $$;

-- County and town operators list their own cases newest first, or over a range of days.
-- CreateIndex
CREATE INDEX "cases_county_code_created_at_id_idx" ON "cases"."cases"("county_code", "created_at", "id");

-- CreateIndex
CREATE INDEX "cases_town_code_created_at_id_idx" ON "cases"."cases"("town_code", "created_at", "id");

-- Open cases are a few percent of all: overdue work by due time, open work by receipt, from
-- indexes that hold nothing else.
-- DropIndex
DROP INDEX IF EXISTS "cases"."cases_open_idx";

-- CreateIndex
CREATE INDEX "cases_open_due_idx" ON "cases"."cases"("due_at", "id") WHERE "merged_into_id" IS NULL AND "status" IN ('received', 'triage', 'assigned', 'accepted', 'mediating');

-- CreateIndex
CREATE INDEX "cases_open_created_idx" ON "cases"."cases"("created_at", "id") WHERE "merged_into_id" IS NULL AND "status" IN ('received', 'triage', 'assigned', 'accepted', 'mediating');

-- 2. Statistics. What a case counts for, without places (case_stat_facts), and per place
-- (case_stat_rows = facts × its city, county, town). Changes from 20261129031000:
--   * a third basis, 'open': open cases keyed by their due day ('9999-12-31' without one), by
--     status, with how many are in the express lane, so "open / overdue / escalated now" is read
--     from a few rows rather than by visiting every open case;
--   * the resolution-time histogram in buckets 5 % wide (bucket b holds [1.05^b, 1.05^(b+1)) hours,
--     b = -1 under an hour): a median to within 5 % from a few dozen rows a day instead of hundreds.
-- DropFunction
DROP FUNCTION IF EXISTS "cases"."case_stat_rows"(TIMESTAMPTZ, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, INTEGER, BOOLEAN, TEXT, TIMESTAMPTZ, TEXT[], TEXT[]);

-- CreateFunction
CREATE OR REPLACE FUNCTION "cases"."case_stat_facts"(
    "p_created_at" TIMESTAMPTZ,
    "p_status" TEXT,
    "p_channel" TEXT,
    "p_category" TEXT,
    "p_express_level" TEXT,
    "p_repeat_count" INTEGER,
    "p_merged" BOOLEAN,
    "p_outcome_kind" TEXT,
    "p_ended_at" TIMESTAMPTZ,
    "p_due_at" TIMESTAMPTZ,
    "p_departments" TEXT[],
    "p_department_kinds" TEXT[]
) RETURNS TABLE (
    "basis" TEXT,
    "day" DATE,
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
SELECT b.b_basis, b.b_day, d.d_dim, d.d_value,
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
    UNION ALL
    SELECT 'open'::text,
           coalesce(((p_due_at AT TIME ZONE 'UTC') + interval '8 hours')::date, DATE '9999-12-31'),
           (p_express_level IS NOT NULL)::int,
           0, 0, 0, 0, 0, 0::bigint
    WHERE NOT p_merged AND p_status IN ('received', 'triage', 'assigned', 'accepted', 'mediating')
) b
CROSS JOIN LATERAL (
    SELECT 'all'::text AS d_dim, ''::text AS d_value
    UNION ALL SELECT 'status', p_status WHERE b.b_basis <> 'ended'
    UNION ALL SELECT 'channel', p_channel WHERE b.b_basis <> 'open'
    UNION ALL SELECT 'category', coalesce(p_category, '') WHERE b.b_basis <> 'open'
    UNION ALL SELECT 'express', p_express_level WHERE p_express_level IS NOT NULL AND b.b_basis <> 'open'
    UNION ALL SELECT 'department', x FROM unnest(p_departments) x WHERE b.b_basis <> 'open'
    UNION ALL SELECT 'department_kind', x FROM unnest(p_department_kinds) x WHERE b.b_basis <> 'open'
    UNION ALL SELECT 'resolution',
        CASE WHEN b.b_seconds < 3600 THEN -1
             ELSE floor(ln(b.b_seconds::numeric / 3600) / ln(1.05::numeric))::int END::text
        WHERE b.b_basis = 'ended'
) d
$$;

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
    "p_due_at" TIMESTAMPTZ,
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
SELECT f.basis, f.day, p.p_level, p.p_place, f.dim, f.value, f.cases, f.escalated, f.repeat_reports,
       f.with_repeats, f.mediated, f.not_mediated, f.withdrawn, f.resolution_seconds
FROM cases.case_stat_facts(p_created_at, p_status, p_channel, p_category, p_express_level, p_repeat_count,
                           p_merged, p_outcome_kind, p_ended_at, p_due_at, p_departments, p_department_kinds) f
CROSS JOIN (
    VALUES ('city'::text, coalesce(p_city_code, '')), ('county'::text, p_county_code), ('town'::text, p_town_code)
) p(p_level, p_place)
WHERE p.p_place IS NOT NULL
$$;

-- The statistics recounted with the new definition (what rebuildCaseStats does; instant on a new
-- database).
-- DeleteRows
DELETE FROM "cases"."case_stats";

-- InsertRows
INSERT INTO "cases"."case_stats" ("basis", "dim", "level", "place", "grain", "day", "value", "cases", "escalated", "repeat_reports", "with_repeats", "mediated", "not_mediated", "withdrawn", "resolution_seconds")
SELECT f.basis, f.dim,
       CASE WHEN GROUPING(c.town_code) = 0 THEN 'town' WHEN GROUPING(c.county_code) = 0 THEN 'county' ELSE 'city' END,
       CASE WHEN GROUPING(c.town_code) = 0 THEN c.town_code WHEN GROUPING(c.county_code) = 0 THEN c.county_code ELSE c.city_key END,
       'day', f.day, f.value,
       sum(f.cases), sum(f.escalated), sum(f.repeat_reports), sum(f.with_repeats),
       sum(f.mediated), sum(f.not_mediated), sum(f.withdrawn), sum(f.resolution_seconds)
FROM (
    SELECT id, created_at, status, channel, category, coalesce(city_code, '') AS city_key, county_code, town_code,
           express_level, repeat_count, outcome_kind, coalesce(resolved_at, closed_at) AS ended_at, due_at
    FROM "cases"."cases" WHERE merged_into_id IS NULL
) c
LEFT JOIN (
    SELECT case_id,
           array_agg(DISTINCT department_code ORDER BY department_code) AS departments,
           array_agg(DISTINCT department_kind ORDER BY department_kind) AS department_kinds
    FROM "cases"."assignments" WHERE status <> 'withdrawn' GROUP BY case_id
) a ON a.case_id = c.id
CROSS JOIN LATERAL "cases"."case_stat_facts"(
    c.created_at, c.status, c.channel, c.category, c.express_level, c.repeat_count, FALSE, c.outcome_kind,
    c.ended_at, c.due_at, coalesce(a.departments, '{}'), coalesce(a.department_kinds, '{}')) f
GROUP BY GROUPING SETS (
    (f.basis, f.dim, c.city_key, f.day, f.value),
    (f.basis, f.dim, c.county_code, f.day, f.value),
    (f.basis, f.dim, c.town_code, f.day, f.value))
HAVING CASE WHEN GROUPING(c.town_code) = 0 THEN c.town_code IS NOT NULL
            WHEN GROUPING(c.county_code) = 0 THEN c.county_code IS NOT NULL
            ELSE TRUE END;

-- InsertRows
INSERT INTO "cases"."case_stats" ("basis", "dim", "level", "place", "grain", "day", "value", "cases", "escalated", "repeat_reports", "with_repeats", "mediated", "not_mediated", "withdrawn", "resolution_seconds")
SELECT basis, dim, level, place, 'month', date_trunc('month', day)::date, value,
       sum(cases), sum(escalated), sum(repeat_reports), sum(with_repeats),
       sum(mediated), sum(not_mediated), sum(withdrawn), sum(resolution_seconds)
FROM "cases"."case_stats" WHERE grain = 'day'
GROUP BY basis, dim, level, place, date_trunc('month', day), value;

-- Every statistic reads the covering index alone: no visit to the table.
-- CreateIndex
CREATE INDEX "case_stats_covering_idx" ON "cases"."case_stats"("basis", "dim", "level", "place", "grain", "day", "value", "cases", "escalated", "repeat_reports", "with_repeats", "mediated", "not_mediated", "withdrawn", "resolution_seconds");

-- 3. The department filter of the search walks each department's cases newest first.
-- CreateTable
CREATE TABLE "cases"."department_cases" (
    "department_code" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "case_id" UUID NOT NULL,

    CONSTRAINT "department_cases_pkey" PRIMARY KEY ("department_code","created_at","case_id")
);

-- InsertRows
INSERT INTO "cases"."department_cases" ("department_code", "created_at", "case_id")
SELECT DISTINCT a.department_code, c.created_at, c.id
FROM "cases"."assignments" a JOIN "cases"."cases" c ON c.id = a.case_id
WHERE a.status <> 'withdrawn';

-- Fill the planner's statistics now rather than at the next autovacuum.
-- Analyze
ANALYZE "cases"."cases";
