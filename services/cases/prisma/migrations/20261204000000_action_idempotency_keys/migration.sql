-- The answers the case actions gave under an Idempotency-Key (src/db/idempotency-keys.ts): an
-- agency's system or an operator's client that retries after a timeout gets the first answer
-- again instead of a second progress note, or a 409 for an accept that worked. Written in the
-- action's own transaction; the primary key (caller, key) makes a concurrent retry wait for the
-- first request and answer what it did. Rows older than 24 hours are pruned (created_at index).
-- CreateTable
CREATE TABLE "cases"."idempotency_keys" (
    "caller" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "answer" JSON,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("caller","key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "cases"."idempotency_keys"("created_at");
