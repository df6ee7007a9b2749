-- Each council sees only its own children, referrals and timelines (see shared 0002).

ALTER TABLE children ADD COLUMN local_authority text;
UPDATE children c SET local_authority = r.local_authority
  FROM referrals r WHERE r.child_id = c.id;
ALTER TABLE children ALTER COLUMN local_authority SET NOT NULL;
-- The same child may be known to two councils: one record in each, never shared.
ALTER TABLE children DROP CONSTRAINT children_nhs_number_key;
CREATE UNIQUE INDEX children_nhs_number_per_council ON children (local_authority, nhs_number);

-- Family links issued before this moment no longer open the family view (revoked).
ALTER TABLE referrals ADD COLUMN family_links_valid_after timestamptz NOT NULL DEFAULT '-infinity';

ALTER TABLE children ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON children
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

ALTER TABLE referrals ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON referrals
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A step is visible where its referral is (that lookup is itself bound by the policy above).
ALTER TABLE timeline ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON timeline
    USING (EXISTS (SELECT 1 FROM referrals r WHERE r.id = timeline.referral_id))
    WITH CHECK (EXISTS (SELECT 1 FROM referrals r WHERE r.id = timeline.referral_id));
