-- A plans' letter that could not be printed or kept (referrals.notices.plan_letters) is tried
-- again after a growing wait (`next_attempt_at`), not at every run of the printer, and after
-- PLAN_LETTERS_ATTEMPTS failures it is parked (`parked_at`): no longer tried, kept with the
-- kind of its last failure (an exception's class name, never its text: no personal data)
-- until an operator puts it back (docs/operating.md). The printer takes the rows due, by the
-- time they are due, so a failing or parked row never holds back the other letters.

ALTER TABLE plan_letters_to_print
    ADD COLUMN attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN failure         text CHECK (failure ~ '^[A-Za-z_][A-Za-z0-9_.]{0,199}$'),
    ADD COLUMN parked_at       timestamptz;

DROP INDEX plan_letters_to_print_added;

CREATE INDEX plan_letters_to_print_due ON plan_letters_to_print (next_attempt_at)
    WHERE parked_at IS NULL;
