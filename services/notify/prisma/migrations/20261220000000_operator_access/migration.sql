-- What cases last announced of each operator's account (operator.access.v1): the delivery routes
-- refuse a token by it as the cases API does. Empty at first: until an operator's event is
-- consumed (cases announces every existing operator once, its migration 20261205000000), their
-- tokens are judged by the token alone, as before.
-- CreateTable
CREATE TABLE "notify"."operator_access" (
    "username" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "tokens_valid_from" TIMESTAMPTZ(3) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_access_pkey" PRIMARY KEY ("username")
);
