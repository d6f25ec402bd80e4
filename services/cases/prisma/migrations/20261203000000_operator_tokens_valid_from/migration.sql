-- When each operator's tokens start to count (src/http/auth.ts): the cases API refuses a token
-- issued before it. Set to now when the operator is created, disabled, enabled, or given another
-- password, role or scope (src/accounts/accounts.ts): a token from before a disable does not come
-- back with enable-operator, one from before a password reset stops at the reset, and a removed
-- operator created again under the same name does not revive the old one's tokens. Existing rows
-- start now: tokens issued before this release carry no issue time and are refused anyway (sign in
-- again).
-- AlterTable
ALTER TABLE "cases"."operators" ADD COLUMN     "tokens_valid_from" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
