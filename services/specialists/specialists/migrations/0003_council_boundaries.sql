-- Each council sees only its own registry, allocations and waitlist (see shared 0002).

ALTER TABLE specialists ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON specialists
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

ALTER TABLE waitlist ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON waitlist
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- An allocation is visible where its specialist is.
ALTER TABLE allocations ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON allocations
    USING (EXISTS (SELECT 1 FROM specialists s WHERE s.id = allocations.specialist_id))
    WITH CHECK (EXISTS (SELECT 1 FROM specialists s WHERE s.id = allocations.specialist_id));
