-- NHS partners for real (#23): a partner's referral without a SEN2 need is taken in and waits
-- for a caseworker's triage (its primary_need is null until then), and the partner's reasons
-- are kept as the referrer gave them (SNOMED CT, other codings, text): the caseworker reads
-- them to set the need. Special category data: shown to the council's staff, never logged;
-- erased with the child's details (retention).

ALTER TABLE referrals ALTER COLUMN primary_need DROP NOT NULL;
ALTER TABLE referrals ADD COLUMN triaged_at timestamptz;
ALTER TABLE referrals ADD COLUMN triaged_by text;
CREATE INDEX referrals_needing_triage ON referrals (local_authority, received_on)
    WHERE primary_need IS NULL;

ALTER TABLE held_referrals ALTER COLUMN primary_need DROP NOT NULL;

-- Keyed by the id the partner was given (a held request's too: no referral yet).
CREATE TABLE referrer_reasons (
    referral_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    partner         text NOT NULL,              -- the partner's client id
    requester_ods   text NOT NULL,              -- who referred: its ODS code
    reasons         jsonb NOT NULL,             -- [{system, code, display, text}], as given
    suggested_needs text[] NOT NULL DEFAULT '{}',  -- the council's SNOMED CT table's
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE referrer_reasons ENABLE ROW LEVEL SECURITY;
ALTER TABLE referrer_reasons FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON referrer_reasons
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
