-- A partner's referral for a child the council already knows (an open referral for the same
-- child, or the NHS number of a known child with other details) is accepted and held here for
-- a caseworker to match, not refused: a refusal would tell the partner, from an NHS number
-- alone, that the child is known to the council's SEND team. The partner's answer is the one
-- a new referral gets (our id: this row's), and nothing reaches the family until a caseworker
-- decides: join the request to an open referral, take it in as a referral of its own, or
-- decline it.
CREATE TABLE held_referrals (
    id                   uuid        PRIMARY KEY,     -- the id the partner was given
    local_authority      text        NOT NULL,
    partner              text        NOT NULL,        -- the partner's client id
    request_id           text,                        -- its request identifier (Kafka only)
    reason               text        NOT NULL CHECK (reason IN ('already-referred',
                                                                'child-details-differ')),
    suspected_referral_id uuid       NOT NULL REFERENCES referrals (id),
    differs              text[]      NOT NULL,        -- field names only, never values
    track                text        NOT NULL,
    primary_need         text        NOT NULL,
    received_on          date        NOT NULL,
    date_of_birth        date        NOT NULL,        -- retention, as the children's
    request              jsonb,                       -- the request as sent; erased once decided
    held_at              timestamptz NOT NULL DEFAULT now(),
    decision             text        CHECK (decision IN ('join', 'take-in', 'decline')),
    decided_by           text,
    decided_at           timestamptz,
    referral_id          uuid        REFERENCES referrals (id),  -- joined to, or taken in as
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX held_referrals_open ON held_referrals (local_authority, held_at)
    WHERE decision IS NULL;
CREATE INDEX held_referrals_to_erase ON held_referrals (date_of_birth) WHERE request IS NOT NULL;

ALTER TABLE held_referrals ENABLE ROW LEVEL SECURITY;
ALTER TABLE held_referrals FORCE ROW LEVEL SECURITY;  -- its owner too (see 0009)
CREATE POLICY council ON held_referrals
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A partner's request held for matching has no referral yet: its answer is kept all the same
-- (a republished request gets it again); the referral is filled in when a caseworker joins it
-- to one or takes it in.
ALTER TABLE partner_requests ALTER COLUMN referral_id DROP NOT NULL;
