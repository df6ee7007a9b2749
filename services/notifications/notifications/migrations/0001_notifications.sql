-- Family contacts and the alerts sent (or waiting for a contact) to them.

CREATE TABLE family_contacts (
    referral_id       uuid PRIMARY KEY,
    contact_name      text NOT NULL,
    email             text,
    phone             text,
    preferred_channel text NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL,
    about_event_id  uuid NOT NULL UNIQUE,
    local_authority text NOT NULL,
    template        text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL,         -- awaiting_contact, sent
    channel         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);

CREATE INDEX notifications_awaiting ON notifications (referral_id) WHERE status = 'awaiting_contact';
