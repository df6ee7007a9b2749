-- A plan's phase transfers (Reg 18; referrals.live.phase_transfer): the year the child moves
-- and the kind of move, worked out from the date of birth, brought in with the plan or set by
-- the caseworker; the deadline (the last day the law allows: 14 February, 30 March to
-- post-16), watched as the review's deadlines are (each warning marked sent once, in the unit
-- of work that sends it); met by the amended plan naming the next setting. At most one
-- transfer not yet met per plan and year.

CREATE TABLE phase_transfers (
    referral_id        uuid NOT NULL REFERENCES referrals (id),
    transfer_year      int  NOT NULL,
    local_authority    text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('early_years_to_primary', 'infant_to_junior',
                                                    'primary_to_secondary', 'secondary_to_post_16')),
    set_by             text NOT NULL CHECK (set_by IN ('date_of_birth', 'import', 'caseworker')),
    due_on             date NOT NULL,
    review_opened_on   date,
    met_on             date,
    next_setting_urn   text,
    next_setting_ukprn text,
    next_setting_type  text,
    at_risk_sent_on    date,
    missed_sent_on     date,
    PRIMARY KEY (referral_id, transfer_year)
);
CREATE INDEX phase_transfers_cohort ON phase_transfers (transfer_year, local_authority);
CREATE INDEX phase_transfers_open ON phase_transfers (due_on) WHERE met_on IS NULL;

ALTER TABLE phase_transfers ENABLE ROW LEVEL SECURITY;
ALTER TABLE phase_transfers FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON phase_transfers
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
