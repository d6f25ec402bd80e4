-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "cases";

-- CreateTable
CREATE TABLE "cases"."cases" (
    "id" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "category" TEXT,
    "severity" TEXT NOT NULL DEFAULT 'normal',
    "city_code" TEXT,
    "county_code" TEXT,
    "town_code" TEXT,
    "village_code" TEXT,
    "place_names" TEXT[],
    "place_how" TEXT,
    "channel" TEXT NOT NULL,
    "title" TEXT,
    "express_level" TEXT,
    "triage_code" TEXT,
    "routing_version" INTEGER NOT NULL DEFAULT 0,
    "due_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "cases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cases"."reports" (
    "dispute_id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "channel" TEXT NOT NULL,
    "source_ref" TEXT NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "content" TEXT NOT NULL,
    "intake" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reports_pkey" PRIMARY KEY ("dispute_id")
);

-- CreateTable
CREATE TABLE "cases"."parties" (
    "id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "dispute_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT,
    "phone" TEXT,
    "id_number" TEXT,

    CONSTRAINT "parties_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cases"."assignments" (
    "id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "department_code" TEXT NOT NULL,
    "department_kind" TEXT NOT NULL,
    "department_name" TEXT NOT NULL,
    "division_code" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'delivered',
    "routing_version" INTEGER NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "assignments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cases"."history" (
    "id" BIGSERIAL NOT NULL,
    "case_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "detail" JSONB NOT NULL,

    CONSTRAINT "history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cases"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "event_name" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cases"."processed_events" (
    "event_id" TEXT NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("event_id")
);

-- CreateTable
CREATE TABLE "cases"."operators" (
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "scope_code" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operators_pkey" PRIMARY KEY ("username")
);

-- CreateIndex
CREATE INDEX "cases_status_idx" ON "cases"."cases"("status");

-- CreateIndex
CREATE INDEX "cases_county_code_town_code_idx" ON "cases"."cases"("county_code", "town_code");

-- CreateIndex
CREATE INDEX "cases_created_at_idx" ON "cases"."cases"("created_at");

-- CreateIndex
CREATE INDEX "reports_case_id_idx" ON "cases"."reports"("case_id");

-- CreateIndex
CREATE UNIQUE INDEX "reports_channel_source_ref_key" ON "cases"."reports"("channel", "source_ref");

-- CreateIndex
CREATE INDEX "parties_case_id_idx" ON "cases"."parties"("case_id");

-- CreateIndex
CREATE INDEX "parties_phone_idx" ON "cases"."parties"("phone");

-- CreateIndex
CREATE INDEX "assignments_department_code_status_idx" ON "cases"."assignments"("department_code", "status");

-- CreateIndex
CREATE UNIQUE INDEX "assignments_case_id_department_code_key" ON "cases"."assignments"("case_id", "department_code");

-- CreateIndex
CREATE INDEX "history_case_id_id_idx" ON "cases"."history"("case_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "cases"."outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "cases"."outbox"("published_at", "id");

-- AddForeignKey
ALTER TABLE "cases"."reports" ADD CONSTRAINT "reports_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"."cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cases"."parties" ADD CONSTRAINT "parties_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"."cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cases"."assignments" ADD CONSTRAINT "assignments_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"."cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cases"."history" ADD CONSTRAINT "history_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "cases"."cases"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
