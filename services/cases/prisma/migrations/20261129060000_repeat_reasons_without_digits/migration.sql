-- A repeat's reason no longer names the caller's number ("same caller (***1234) and ..." held its
-- last four digits): the history is read by every department on the case, co-handlers included.
-- This clears the digits from what was written before, in the history, the reports and the
-- status events not yet published alike.

-- Data only
UPDATE "cases"."history"
SET "detail" = jsonb_set("detail", '{reason}', to_jsonb(regexp_replace("detail"->>'reason', 'same caller \(\*+[0-9]+\)', 'same caller', 'g')))
WHERE "detail"->>'reason' ~ 'same caller \(\*+[0-9]+\)';

UPDATE "cases"."reports"
SET "repeat_reason" = regexp_replace("repeat_reason", 'same caller \(\*+[0-9]+\)', 'same caller', 'g')
WHERE "repeat_reason" ~ 'same caller \(\*+[0-9]+\)';

UPDATE "cases"."outbox"
SET "data" = jsonb_set("data", '{reason}', to_jsonb(regexp_replace("data"->>'reason', 'same caller \(\*+[0-9]+\)', 'same caller', 'g')))
WHERE "data"->>'reason' ~ 'same caller \(\*+[0-9]+\)';
