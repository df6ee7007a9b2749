-- Consulting a school about being named in a child's EHC plan (#20; s39 Children and Families
-- Act 2014): a caseworker sends the consultation, the school's SENCo answers within 15 days
-- (whether it can meet the child's needs, and why not). The school is a URN; its SENCo sees
-- the consultations for their schools only.

CREATE TABLE school_consultations (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    school_urn      text NOT NULL,
    sent_on         date NOT NULL,
    respond_by      date NOT NULL,
    sent_by         text NOT NULL,
    answer          text CHECK (answer IN ('can_meet_needs', 'cannot_meet_needs')),
    reason          text,                       -- why it cannot, in the school's words
    answered_on     date,
    answered_by     text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((answer IS NULL) = (answered_on IS NULL)),
    UNIQUE (referral_id, school_urn)
);
CREATE INDEX school_consultations_by_school ON school_consultations (school_urn, respond_by);

ALTER TABLE school_consultations ENABLE ROW LEVEL SECURITY;
ALTER TABLE school_consultations FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON school_consultations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
