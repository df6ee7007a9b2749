-- Health advice both ways (#23; Reg 6(1)(c)): advice asked of an NHS partner over Kafka (a
-- FHIR Task on its own topic), and answered by that partner alone (a DocumentReference naming
-- the Task). One row per advice request sent to a partner; its answer's document once in.

CREATE TABLE partner_advice_requests (
    task_id         uuid PRIMARY KEY,              -- the Task's identifier, given the partner
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    kind            text NOT NULL,
    partner         text NOT NULL,
    requested_on    date NOT NULL,
    due_on          date NOT NULL,
    document_id     uuid,                          -- the advice, once received
    answered_at     timestamptz,
    UNIQUE (referral_id, kind)
);

ALTER TABLE partner_advice_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_advice_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON partner_advice_requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
