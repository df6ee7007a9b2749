-- (Numbered after 0007, which #17's row-level security change takes.)
-- The generation of each referral's family links (referrals' FamilyLinksRevoked): the links in
-- messages sent from then on carry it, and links of an earlier generation no longer open
-- anything. No row: no revocation heard of, generation 0.
CREATE TABLE family_link_generations (
    referral_id     uuid PRIMARY KEY,
    local_authority text    NOT NULL,
    generation      integer NOT NULL
);
ALTER TABLE family_link_generations ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_link_generations FORCE ROW LEVEL SECURITY;  -- the owner too
CREATE POLICY council ON family_link_generations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
