-- What the plan asks of the practitioners allocated (#20): the provision lines a specialist
-- role delivers, from plan-drafted (shared.events.ProvisionAsked, as JSON). A practitioner's
-- caseload shows the lines of their role, and their sessions are recorded against one of them.
-- Empty for plans drafted before plan-drafted carried them.
ALTER TABLE referral_needs ADD COLUMN provision jsonb NOT NULL DEFAULT '[]';
