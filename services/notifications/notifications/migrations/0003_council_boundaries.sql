-- Each council sees only its own families' contacts and messages (see shared 0002).

ALTER TABLE family_contacts ADD COLUMN local_authority text;
UPDATE family_contacts c SET local_authority = n.local_authority
  FROM notifications n WHERE n.referral_id = c.referral_id;
-- A contact that no message has used yet has no council on record: it is unreachable under
-- the policy until the referral's next event; none exist outside development databases.
UPDATE family_contacts SET local_authority = 'unknown' WHERE local_authority IS NULL;
ALTER TABLE family_contacts ALTER COLUMN local_authority SET NOT NULL;

ALTER TABLE family_contacts ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON family_contacts
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON notifications
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
