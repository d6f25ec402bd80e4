-- CreateIndex
CREATE INDEX "case_disputes_merged_into_dispute_id_idx" ON "notify"."case_disputes"("merged_into_dispute_id");
