-- AlterTable
ALTER TABLE "notify"."deliveries" ADD COLUMN     "division_code" TEXT,
ADD COLUMN     "lease_id" UUID,
ADD COLUMN     "replayed_by" TEXT,
ADD COLUMN     "replays" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "version" INTEGER;

-- AlterTable
ALTER TABLE "notify"."delivery_attempts" ADD COLUMN     "status_code" INTEGER;

-- CreateTable
CREATE TABLE "notify"."dispute_sources" (
    "dispute_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "source_ref" TEXT NOT NULL,
    "source_client" TEXT,
    "phone" TEXT,
    "wechat_open_id" TEXT,
    "place" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "dispute_sources_pkey" PRIMARY KEY ("dispute_id")
);

-- CreateTable
CREATE TABLE "notify"."case_disputes" (
    "dispute_id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "status" TEXT,

    CONSTRAINT "case_disputes_pkey" PRIMARY KEY ("dispute_id")
);

-- CreateTable
CREATE TABLE "notify"."sla_reminders" (
    "dedupe_key" TEXT NOT NULL,
    "dispute_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "division_code" TEXT,
    "payload" JSONB NOT NULL,
    "fire_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sla_reminders_pkey" PRIMARY KEY ("dedupe_key")
);

-- CreateIndex
CREATE INDEX "case_disputes_case_id_idx" ON "notify"."case_disputes"("case_id");

-- CreateIndex
CREATE INDEX "sla_reminders_fire_at_idx" ON "notify"."sla_reminders"("fire_at");

-- CreateIndex
CREATE INDEX "sla_reminders_dispute_id_idx" ON "notify"."sla_reminders"("dispute_id");
