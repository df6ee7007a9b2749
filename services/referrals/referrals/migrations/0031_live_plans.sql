-- Plans already in force, brought in from a council's earlier system (issue #22): the plan's
-- statutory record beside the referral that holds its child (the track `ehc`). The council's
-- own case id is the import's idempotency key (one row per council and case id); the row's
-- fingerprint tells a repeat of the same row (nothing to do) from a changed one (refused).
-- review_due_on is the next annual review (Reg 20: within 12 months of the issue or the last
-- review), which the annual review scheduler opens.

CREATE TABLE live_plans (
    referral_id      uuid PRIMARY KEY REFERENCES referrals (id),
    local_authority  text NOT NULL,
    case_id          text NOT NULL,
    fingerprint      text NOT NULL,
    issued_on        date NOT NULL,
    last_reviewed_on date,
    review_due_on    date NOT NULL,
    needs            text[] NOT NULL,
    setting_urn      text,
    setting_ukprn    text,
    imported_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (local_authority, case_id)
);
CREATE INDEX live_plans_review_due ON live_plans (review_due_on);

ALTER TABLE live_plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE live_plans FORCE ROW LEVEL SECURITY;  -- its owner too (see 0009)
CREATE POLICY council ON live_plans
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
