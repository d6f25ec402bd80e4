-- AlterTable
ALTER TABLE "notify"."dispute_sources" ADD COLUMN     "held_decision" JSONB;
