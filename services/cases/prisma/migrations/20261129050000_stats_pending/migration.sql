-- The statistics move in two steps. A transaction that changes cases appends what each case
-- counted for before the change (sign -1) and after it (sign +1) to case_stats_pending: a few rows,
-- and no lock on the sums that every case of a day shares (upserting those in every transaction
-- was a quarter of the database's work in a backfill, and made concurrent transactions queue on
-- the same rows). The folder (src/stats/fold.ts) moves what is pending into case_stats, many
-- transactions' changes summed at once. Readers read case_stats_live: the sums plus what is still
-- pending, so a change counts in the statistics from its commit on.

-- CreateTable
CREATE TABLE "cases"."case_stats_pending" (
    "id" BIGSERIAL NOT NULL,
    "sign" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "category" TEXT,
    "city_code" TEXT,
    "county_code" TEXT,
    "town_code" TEXT,
    "express_level" TEXT,
    "repeat_count" INTEGER NOT NULL,
    "merged" BOOLEAN NOT NULL,
    "outcome_kind" TEXT,
    "ended_at" TIMESTAMPTZ(3),
    "due_at" TIMESTAMPTZ(3),
    "departments" TEXT[],
    "department_kinds" TEXT[],

    CONSTRAINT "case_stats_pending_pkey" PRIMARY KEY ("id")
);

-- What the pending changes add to each row of case_stats (day and month grain), one definition
-- for the readers (case_stats_live) and the folder.
-- CreateView
CREATE VIEW "cases"."case_stats_pending_rows" AS
SELECT p.id AS pending_id, r.basis, r.dim, r.level, r.place, g.grain,
       CASE g.grain WHEN 'day' THEN r.day ELSE date_trunc('month', r.day)::date END AS day,
       r.value,
       p.sign * r.cases AS cases, p.sign * r.escalated AS escalated,
       p.sign * r.repeat_reports AS repeat_reports, p.sign * r.with_repeats AS with_repeats,
       p.sign * r.mediated AS mediated, p.sign * r.not_mediated AS not_mediated,
       p.sign * r.withdrawn AS withdrawn, p.sign * r.resolution_seconds AS resolution_seconds
FROM "cases"."case_stats_pending" p
CROSS JOIN LATERAL "cases"."case_stat_rows"(
    p.created_at, p.status, p.channel, p.category, p.city_code, p.county_code, p.town_code, p.express_level,
    p.repeat_count, p.merged, p.outcome_kind, p.ended_at, p.due_at, coalesce(p.departments, '{}'),
    coalesce(p.department_kinds, '{}')) r
CROSS JOIN (VALUES ('day'::text), ('month'::text)) g(grain);

-- The statistics as of now: a key may appear more than once (its sum and pending changes), so
-- readers sum by key.
-- CreateView
CREATE VIEW "cases"."case_stats_live" AS
SELECT basis, dim, level, place, grain, day, value, cases, escalated, repeat_reports, with_repeats,
       mediated, not_mediated, withdrawn, resolution_seconds
FROM "cases"."case_stats"
UNION ALL
SELECT basis, dim, level, place, grain, day, value, cases, escalated, repeat_reports, with_repeats,
       mediated, not_mediated, withdrawn, resolution_seconds
FROM "cases"."case_stats_pending_rows";
