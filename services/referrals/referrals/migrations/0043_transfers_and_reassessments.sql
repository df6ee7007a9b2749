-- A plan transferred in from another council (Reg 15; referrals.live.transfer_in) and a
-- re-assessment of a plan in force (Regs 24-27; referrals.live.reassessment). Their limits are
-- rows of live_plan_deadlines, watched by referrals.live.plan_watch as review_deadlines are by
-- the review scheduler (each warning marked sent once, in the unit of work that sends it).

CREATE TABLE transfers_in (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL UNIQUE REFERENCES referrals (id),
    local_authority text NOT NULL,
    from_council    text NOT NULL,        -- the old council's ONS code
    transferred_on  date NOT NULL,
    decide_by       date NOT NULL,        -- 6 weeks from the transfer
    review_due_on   date NOT NULL,        -- later of 12 months from issue/review, 3 from transfer
    told_on         date,
    reassess        boolean,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reassessments (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    requested_by    text NOT NULL CHECK (requested_by IN
                        ('parent', 'young_person', 'school', 'council')),
    requested_on    date NOT NULL,
    stage           text NOT NULL CHECK (stage IN
                        ('requested', 'refused', 'reassessing', 'concluded')),
    decided_on      date,
    concluded_on    date,
    outcome         text CHECK (outcome IN ('plan_amended', 'plan_not_amended')),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reassessments_one_open ON reassessments (referral_id)
    WHERE stage IN ('requested', 'reassessing');

CREATE TABLE live_plan_deadlines (
    process_id      uuid NOT NULL,        -- a transfers_in or a reassessments row
    kind            text NOT NULL,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    due_on          date NOT NULL,
    met_on          date,
    at_risk_sent_on date,
    missed_sent_on  date,
    PRIMARY KEY (process_id, kind)
);
CREATE INDEX live_plan_deadlines_open ON live_plan_deadlines (due_on) WHERE met_on IS NULL;

ALTER TABLE transfers_in ENABLE ROW LEVEL SECURITY;
ALTER TABLE transfers_in FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON transfers_in
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE reassessments ENABLE ROW LEVEL SECURITY;
ALTER TABLE reassessments FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON reassessments
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE live_plan_deadlines ENABLE ROW LEVEL SECURITY;
ALTER TABLE live_plan_deadlines FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON live_plan_deadlines
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
