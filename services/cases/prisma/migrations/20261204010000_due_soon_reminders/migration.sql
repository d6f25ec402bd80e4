-- The deadline whose "due soon" reminder went out to the lead on its agency status topic
-- (src/sla/sla-sweeper.ts `remindDueSoon`): one per deadline, and a deadline that moved (a new
-- lead, a court's earlier date) is reminded of afresh. Existing cases start with none: an open
-- case due within the reminder's lead time is reminded at the first sweep.
-- AlterTable
ALTER TABLE "cases"."cases" ADD COLUMN     "due_soon_for" TIMESTAMPTZ(3);
