-- A number grouped in thousands by commas no longer splits in the search words
-- (src/search/bigrams.ts): 3,800 and ３，８００ are searched as 3800, so a search for 3800 finds
-- them and one for 3,800 finds 3800. The words of the cases stored before lack the bigram across
-- each such comma (the 38 of 3,800): this adds it, from the texts the words are made of (the
-- case's title, its reports' content and titles), by the same rule (NFKC, then 1-3 digits and
-- groups of exactly three). It adds exactly what the rule adds; the lone characters the old words
-- kept (the 3 of 3,800) stay, and a search never asks for a single character.

-- Data only
WITH texts AS (
  SELECT "id" AS "case_id", "title" AS "text" FROM "cases"."cases" WHERE "title" IS NOT NULL
  UNION ALL
  SELECT "case_id", "content" FROM "cases"."reports"
  UNION ALL
  SELECT "case_id", "intake"->>'title' FROM "cases"."reports" WHERE "intake"->>'title' IS NOT NULL
),
grouped AS (
  SELECT "case_id", n[1] AS "number"
  FROM texts,
    regexp_matches(normalize("text", NFKC), '(?<![0-9])[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])', 'g') AS n
),
added AS (
  SELECT "case_id", array_agg(DISTINCT pair[1] || pair[2]) AS "grams"
  FROM grouped, regexp_matches("number", '([0-9]),([0-9])', 'g') AS pair
  GROUP BY "case_id"
)
UPDATE "cases"."cases" c
SET "search_grams" = ARRAY(
  SELECT g FROM unnest(coalesce(c."search_grams", '{}') || added."grams") AS g GROUP BY g ORDER BY g COLLATE "C"
)
FROM added
WHERE c."id" = added."case_id" AND NOT coalesce(c."search_grams", '{}') @> added."grams";
