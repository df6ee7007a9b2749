-- Alerts are delivered after the transaction that decided them has committed, by a sender
-- that claims queued rows; the text is rendered at send time from the template.
--   awaiting_contact -> queued -> sending -> sent
-- A row left 'sending' past its lease (a sender died, or its commit failed after the send) is
-- claimed again, and the channel is asked whether the message already went, before resending.

ALTER TABLE notifications
    DROP COLUMN body,
    ADD COLUMN attempts      int         NOT NULL DEFAULT 0,
    ADD COLUMN claimed_at    timestamptz,
    ADD COLUMN last_error    text,
    ADD COLUMN trace_headers jsonb       NOT NULL DEFAULT '{}'::jsonb;

UPDATE notifications SET status = 'queued'
 WHERE status = 'awaiting_contact'
   AND referral_id IN (SELECT referral_id FROM family_contacts);

CREATE INDEX notifications_due ON notifications (created_at) WHERE status IN ('queued', 'sending');

CREATE FUNCTION notifications_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notifications_queued', '');
    RETURN NULL;
END $$;

CREATE TRIGGER notifications_queued AFTER INSERT OR UPDATE OF status ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_queued();
