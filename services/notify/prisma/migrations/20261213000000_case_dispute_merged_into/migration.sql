-- AlterTable
ALTER TABLE "notify"."case_disputes" ADD COLUMN     "merged_into" UUID,
ADD COLUMN     "merged_into_dispute_id" UUID;
