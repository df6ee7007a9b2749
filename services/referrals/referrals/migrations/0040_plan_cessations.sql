-- Ceasing to maintain an EHC plan (s45, Regs 29-31; referrals.live.ceasing): one row each time
-- the council considers it, at most one under way per plan. The family's and the school's
-- views stay here (never in an event); the last day to appeal is computed from decided_on and
-- mediation_certificate_on, and stored as appeal_by for the scheduler, which ceases the plan
-- the day after it when no appeal was lodged (referrals.live.cessation_watch).

CREATE TABLE plan_cessations (
    id                       uuid PRIMARY KEY,
    referral_id              uuid NOT NULL REFERENCES referrals (id),
    local_authority          text NOT NULL,
    review_id                uuid REFERENCES annual_reviews (id),
    reason                   text NOT NULL,
    stage                    text NOT NULL,
    proposed_on              date NOT NULL,
    views_by                 date NOT NULL,
    consulted_on             date,
    family_views             text,
    school_views             text,
    decision                 text CHECK (decision IN ('cease', 'keep')),
    decided_on               date,
    decision_note            text,
    mediation_certificate_on date,
    appeal_by                date,
    appeal_lodged_on         date,
    appeal_outcome           text CHECK (appeal_outcome IN ('upheld', 'dismissed')),
    appeal_decided_on        date,
    ceased_on                date,
    created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plan_cessations_one_open ON plan_cessations (referral_id)
    WHERE stage IN ('proposed', 'consulted', 'to_cease', 'appealed');
CREATE INDEX plan_cessations_to_lapse ON plan_cessations (appeal_by) WHERE stage = 'to_cease';

ALTER TABLE plan_cessations ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_cessations FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON plan_cessations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
