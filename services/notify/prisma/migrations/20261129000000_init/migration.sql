-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "notify";

-- CreateTable
CREATE TABLE "notify"."deliveries" (
    "id" UUID NOT NULL,
    "dedupe_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "dispute_id" UUID,
    "case_id" UUID,
    "payload" JSONB NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notify"."delivery_attempts" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ok" BOOLEAN NOT NULL,
    "detail" TEXT NOT NULL,
    "duration_ms" INTEGER NOT NULL,

    CONSTRAINT "delivery_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "deliveries_dedupe_key_key" ON "notify"."deliveries"("dedupe_key");

-- CreateIndex
CREATE INDEX "deliveries_state_next_attempt_at_idx" ON "notify"."deliveries"("state", "next_attempt_at");

-- CreateIndex
CREATE INDEX "deliveries_dispute_id_idx" ON "notify"."deliveries"("dispute_id");

-- CreateIndex
CREATE INDEX "deliveries_case_id_idx" ON "notify"."deliveries"("case_id");

-- CreateIndex
CREATE INDEX "delivery_attempts_delivery_id_idx" ON "notify"."delivery_attempts"("delivery_id");

-- AddForeignKey
ALTER TABLE "notify"."delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "notify"."deliveries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
