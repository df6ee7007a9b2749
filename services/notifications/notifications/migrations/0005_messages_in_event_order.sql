-- A family's messages go, and are listed, in the order their events happened, not the order
-- this service heard of them: the events come on different topics, each consumed on its own,
-- so "a specialist is assigned" can be stored before "we have your request".
ALTER TABLE notifications ADD COLUMN occurred_at timestamptz;
UPDATE notifications SET occurred_at = created_at;
ALTER TABLE notifications ALTER COLUMN occurred_at SET NOT NULL;

DROP INDEX notifications_heads;
CREATE INDEX notifications_heads ON notifications (referral_id, audience, occurred_at, created_at, id)
    WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_of_referral ON notifications (referral_id, occurred_at, created_at, id);
