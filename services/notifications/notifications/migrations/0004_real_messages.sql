-- Real messages (GOV.UK Notify, SMTP): who a message is for, whether the law requires it, when
-- it may go (quiet hours, a provider backing off), and each channel tried, with the provider's
-- own status. A message's status:
--   awaiting_contact -> queued -> sending -> sent -> delivered
--                                                 | permanent-failure | temporary-failure
--                                                 | technical-failure
--   queued -> withheld (a non-statutory message the family opted out of)
-- A message not delivered by fallback_at goes again through the next channel.

ALTER TABLE notifications
    ADD COLUMN audience     text        NOT NULL DEFAULT 'family',   -- family | caseworker
    ADD COLUMN statutory    boolean     NOT NULL DEFAULT false,
    ADD COLUMN details      jsonb       NOT NULL DEFAULT '{}'::jsonb, -- dates; never personal data
    ADD COLUMN not_before   timestamptz,                             -- held until then
    ADD COLUMN held_reason  text,                                    -- quiet-hours | provider-unavailable | rate-limit
    ADD COLUMN fallback_at  timestamptz,
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN completed_at timestamptz;

ALTER TABLE notifications DROP CONSTRAINT notifications_about_event_id_key;
ALTER TABLE notifications
    ADD CONSTRAINT one_message_per_event_and_audience UNIQUE (about_event_id, audience);

-- Per family (and audience), messages are handed over in the order they were decided.
CREATE INDEX notifications_heads ON notifications (referral_id, audience, created_at, id)
    WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_fallback ON notifications (fallback_at) WHERE status = 'sent';

-- One row per channel tried for a message (its id is Notify's reference for every channel).
CREATE TABLE delivery_attempts (
    notification_id uuid        NOT NULL REFERENCES notifications (id),
    channel         text        NOT NULL,   -- email | sms | letter
    provider        text        NOT NULL,   -- notify | smtp | log
    local_authority text        NOT NULL,
    status          text        NOT NULL,   -- sending | sent | delivered | *-failure
    provider_id     text,                   -- Notify's notification id
    started_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    completed_at    timestamptz,
    polled_at       timestamptz,
    error           text,                   -- a class of error, never a provider's message text
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX delivery_attempts_awaiting_receipt ON delivery_attempts (sent_at)
    WHERE status = 'sent' AND provider = 'notify';

ALTER TABLE delivery_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON delivery_attempts
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- What the family chose (set by a caseworker on their behalf); the contact's own preferred
-- channel applies when channel is NULL.
CREATE TABLE family_preferences (
    referral_id     uuid PRIMARY KEY,
    local_authority text        NOT NULL,
    channel         text,                   -- email | sms | letter
    language        text        NOT NULL DEFAULT 'en',
    statutory_only  boolean     NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE family_preferences ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON family_preferences
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- Who asked for help (a young person asking for themselves is told "you"), from the referral.
CREATE TABLE requests (
    referral_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    requested_by    text NOT NULL,
    received_on     date NOT NULL
);
ALTER TABLE requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A provider's limits, shared by every replica: a token bucket per Notify API key (named by a
-- hash, never the key) and a pause while the provider refuses (429) or is down.
CREATE TABLE provider_limits (
    key          text PRIMARY KEY,
    tokens       double precision NOT NULL,
    refilled_at  timestamptz      NOT NULL,
    paused_until timestamptz,
    failures     int              NOT NULL DEFAULT 0
);

-- Letters need a postal address (from the family's contact, when given).
ALTER TABLE family_contacts ADD COLUMN address_lines text[] NOT NULL DEFAULT '{}';
