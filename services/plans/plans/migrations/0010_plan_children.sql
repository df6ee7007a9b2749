-- The child each referral's plan is for, by name and date of birth (referrals'
-- ChildIdentified): the EHC plan and its PDF name the child. Personal data: kept here only,
-- erased with the child's details (plans.erasure), never in an event plans publishes or a log.

CREATE TABLE plan_children (
    referral_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    given_name      text NOT NULL,
    family_name     text NOT NULL,
    date_of_birth   date
);

ALTER TABLE plan_children ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_children FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON plan_children
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
