-- When a caseworker revoked a referral's family links (referrals' FamilyLinksRevoked): a link
-- issued before valid_after no longer opens the plan page. One row per referral, the latest.

CREATE TABLE family_link_revocations (
    referral_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    valid_after     timestamptz NOT NULL
);

ALTER TABLE family_link_revocations ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON family_link_revocations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
