-- The annual review whose amendments (Reg 22) a plan last took: proposed, then issued. A
-- redelivered or replayed AmendmentsProposed / AmendedPlanIssued of that review changes nothing.
ALTER TABLE support_plans ADD COLUMN IF NOT EXISTS amending_review uuid;
