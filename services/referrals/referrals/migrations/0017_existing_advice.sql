-- Existing advice used instead of seeking it afresh (#21; SEND Regulations 2014, reg 6(4)):
-- advice of kinds (b) to (h) given before, when the person who gave it, the council and the
-- family agree. What it is and who gave it stay here (never in an event); it counts as sought
-- for the decision whether to issue a plan, as a request for advice does.

CREATE TABLE existing_advice (
    referral_id     uuid NOT NULL REFERENCES ehc_requests (referral_id),
    kind            text NOT NULL,
    local_authority text NOT NULL,
    description     text NOT NULL,              -- what it is, in the caseworker's words
    advice_dated    date NOT NULL,
    given_by        text NOT NULL,              -- the person who gave it (and agreed)
    family_agreed_by text NOT NULL CHECK (family_agreed_by IN ('parent', 'young_person', 'representative')),
    agreed_on       date NOT NULL,
    recorded_by     text NOT NULL,              -- the council's officer who agreed and recorded it
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (referral_id, kind)
);

ALTER TABLE existing_advice ENABLE ROW LEVEL SECURITY;
ALTER TABLE existing_advice FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON existing_advice
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
