-- Resolution-time histogram in hour buckets up to 30 days (day buckets beyond, to a year), so
-- the median resolution time is exact to the hour for the durations mediation usually takes.
-- The function's rows are otherwise unchanged: existing statistics keep their meaning (a rebuild,
-- scripts/rebuild-stats.ts, re-buckets durations between 3 and 30 days recorded before).
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
        CASE WHEN b.b_seconds < 720 * 3600 THEN floor(b.b_seconds / 3600)::bigint
             WHEN b.b_seconds < 8760 * 3600 THEN floor(b.b_seconds / 86400)::bigint * 24
             ELSE 8760 END::text
        WHERE b.b_basis = 'ended'
) d
WHERE p.p_place IS NOT NULL
$$;
