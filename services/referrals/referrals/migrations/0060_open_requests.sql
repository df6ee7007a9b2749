-- Open requests brought in from a council's earlier system (issue #22): EHC needs assessments
-- under way there, each now an ehc_requests row on the statutory clock from the day the
-- council received it, at the stage its recorded steps left it. As for live_plans, the
-- council's own case id is the import's idempotency key and the fingerprint tells a repeat
-- of the same row (nothing to do) from a changed one (refused).

CREATE TABLE open_requests (
    referral_id     uuid PRIMARY KEY REFERENCES referrals (id),
    local_authority text NOT NULL,
    case_id         text NOT NULL,
    fingerprint     text NOT NULL,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (local_authority, case_id)
);

ALTER TABLE open_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE open_requests FORCE ROW LEVEL SECURITY;  -- its owner too (see 0009)
CREATE POLICY council ON open_requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
