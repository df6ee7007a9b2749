-- A health or social care professional's referral that asks for an EHC needs assessment
-- (#21): only a parent, a young person or a school or college may request one (s36(1)
-- Children and Families Act 2014); a professional brings the child to the council's attention
-- (s24), and the council decides whether to treat it as a request. Until it does, the referral
-- is a request for support, no clock runs, and this records what the professional asked.

ALTER TABLE referrals ADD COLUMN assessment_suggested boolean NOT NULL DEFAULT false;
