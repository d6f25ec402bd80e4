-- AlterTable
ALTER TABLE "notify"."case_disputes" ADD COLUMN     "due_by" TIMESTAMPTZ(3);
