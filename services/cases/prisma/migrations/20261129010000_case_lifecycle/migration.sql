-- AlterTable
ALTER TABLE "cases"."cases" ADD COLUMN     "accepted_at" TIMESTAMPTZ(3),
ADD COLUMN     "closed_at" TIMESTAMPTZ(3),
ADD COLUMN     "escalated_at" TIMESTAMPTZ(3),
ADD COLUMN     "merged_into_id" UUID,
ADD COLUMN     "outcome_amount" DECIMAL(14,2),
ADD COLUMN     "outcome_kind" TEXT,
ADD COLUMN     "outcome_summary" TEXT,
ADD COLUMN     "referred_to" TEXT,
ADD COLUMN     "repeat_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "resolved_at" TIMESTAMPTZ(3),
ADD COLUMN     "search_grams" TEXT[],
ADD COLUMN     "sla_stage" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "cases"."reports" ADD COLUMN     "repeat_reason" TEXT;

-- AlterTable
ALTER TABLE "cases"."assignments" ADD COLUMN     "accepted_at" TIMESTAMPTZ(3),
ADD COLUMN     "done_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "cases"."agency_keys" (
    "key_hash" TEXT NOT NULL,
    "department_code" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agency_keys_pkey" PRIMARY KEY ("key_hash")
);

-- DropIndex
DROP INDEX "cases"."cases_created_at_idx";

-- CreateIndex
CREATE INDEX "cases_created_at_id_idx" ON "cases"."cases"("created_at", "id");

-- CreateIndex
CREATE INDEX "cases_category_idx" ON "cases"."cases"("category");

-- CreateIndex
CREATE INDEX "cases_due_at_idx" ON "cases"."cases"("due_at");

-- CreateIndex
CREATE INDEX "cases_express_level_idx" ON "cases"."cases"("express_level");

-- CreateIndex
CREATE INDEX "cases_search_grams_idx" ON "cases"."cases" USING GIN ("search_grams");

-- CreateIndex
CREATE INDEX "agency_keys_department_code_idx" ON "cases"."agency_keys"("department_code");
