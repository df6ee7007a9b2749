-- The school or college the final EHC plan names (section I), by URN, as the caseworker records
-- it with the final plan (#21): it is sent the plan (Reg 13(2)). None recorded: the child's
-- school taken at intake.
ALTER TABLE ehc_requests ADD COLUMN named_school_urn text CHECK (named_school_urn ~ '^[0-9]{6}$');
