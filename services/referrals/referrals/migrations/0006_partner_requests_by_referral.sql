-- NHS partners are told of their referral's later milestones: each timeline step looks up
-- whether its referral came from a partner, by referral id.
CREATE INDEX partner_requests_referral_id ON partner_requests (referral_id);
