-- Each council sees only its own children's plans (see shared 0002).

ALTER TABLE support_plans ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON support_plans
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
