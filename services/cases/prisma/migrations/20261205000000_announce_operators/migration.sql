-- Every operator there is, announced once on operator.access.v1 (packages/contracts), as each
-- change the accounts command makes from now on is (src/accounts/accounts.ts): notify, which takes
-- the operators' tokens too, keeps the latest per operator and refuses a token by the rule the
-- cases API applies. Through the outbox, so the relay publishes them as any other event. Each
-- says the account as it stands, at the database's time: every announcement is stamped by the
-- database's clock (accounts.ts), so a change made after this migration is the later one.

-- Data only
INSERT INTO "cases"."outbox" ("event_id", "event_name", "topic", "key", "data")
SELECT gen_random_uuid(), 'operator.access.v1', 'operator.access.v1', o."username",
  jsonb_build_object(
    'username', o."username",
    'status', CASE WHEN starts_with(o."password_hash", '!') THEN 'disabled' ELSE 'active' END,
    'role', o."role",
    'scope', o."scope_code",
    'tokensValidFrom', to_char(o."tokens_valid_from" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
FROM "cases"."operators" o
ORDER BY o."username";
