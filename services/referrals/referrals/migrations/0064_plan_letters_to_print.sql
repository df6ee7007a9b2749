-- The family's letter of a draft or final EHC plan issued in the plans service, due to be
-- printed (referrals.notices.plan_letters): a row is added in the consumer's transaction that
-- records the step, and the letter is printed and put in the document store after that
-- transaction commits (the store may be a bucket across a network: no lock is held while it
-- is called), then kept as the referral's document and its row deleted in one transaction.
-- One row a referral and kind of letter: a redelivered event adds none.

CREATE TABLE plan_letters_to_print (
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    letter_kind     text NOT NULL,
    local_authority text NOT NULL,
    event_type      text NOT NULL,
    event           jsonb NOT NULL,  -- the step's event: ids and dates only
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (referral_id, letter_kind)
);

CREATE INDEX plan_letters_to_print_added ON plan_letters_to_print (added_at);

ALTER TABLE plan_letters_to_print ENABLE ROW LEVEL SECURITY;
ALTER TABLE plan_letters_to_print FORCE ROW LEVEL SECURITY;  -- its owner too (see 0009)
CREATE POLICY council ON plan_letters_to_print
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
