-- AlterTable
ALTER TABLE "notify"."dispute_sources" ADD COLUMN     "routing_version" INTEGER NOT NULL DEFAULT 0;
