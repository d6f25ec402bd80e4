-- AlterTable
ALTER TABLE "notify"."case_disputes" ADD COLUMN     "status_at" TIMESTAMPTZ(3);
