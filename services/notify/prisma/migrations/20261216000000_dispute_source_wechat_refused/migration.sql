-- AlterTable
ALTER TABLE "notify"."dispute_sources" ADD COLUMN     "wechat_refused_at" TIMESTAMPTZ(3);
