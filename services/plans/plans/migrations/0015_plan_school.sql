-- The school the child attends (its URN), from the referral received: a school's SENCo (role
-- school) reads the plans of their own pupils only. Plans drafted before this change take it
-- from the referral event they were drafted from (kept in support_plans.referral).
ALTER TABLE support_plans ADD COLUMN school_urn text;
UPDATE support_plans SET school_urn = referral->>'school_urn'
WHERE referral IS NOT NULL AND referral->>'school_urn' IS NOT NULL;
CREATE INDEX support_plans_school ON support_plans (school_urn) WHERE school_urn IS NOT NULL;
