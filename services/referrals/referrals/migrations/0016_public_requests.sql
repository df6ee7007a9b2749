-- Requests made on the workspace's public form, with no account (a parent or carer, a young
-- person, or a school or college): kept here until the contact confirms the request through
-- the link they are sent, or a caseworker confirms it by phone, then taken in as a referral
-- with this row's id, dated the day the request was received (its legal date, however late
-- it is confirmed). Nothing reaches plans or specialists before then: a flood of made-up
-- requests takes no specialist's place.
CREATE TABLE public_requests (
    id                   uuid        PRIMARY KEY,     -- the referral's id once taken in
    local_authority      text        NOT NULL,
    requested_by         text        NOT NULL CHECK (requested_by IN ('parent', 'young_person',
                                                                      'school')),
    track                text        NOT NULL CHECK (track IN ('support', 'ehc')),
    received_on          date        NOT NULL,        -- Europe/London: the request's legal date
    date_of_birth        date        NOT NULL,        -- retention, as the children's
    contact_key          text        NOT NULL,        -- SHA-256 of the address asked to confirm
    asked_to_confirm     boolean     NOT NULL,        -- false: the contact's daily limit was met
    sharing_consent      text        CHECK (sharing_consent IN ('given', 'refused')),
    request              jsonb,                       -- as made; erased once taken in
    created_at           timestamptz NOT NULL DEFAULT now(),
    confirmed_by         text        CHECK (confirmed_by IN ('link', 'phone')),
    confirmed_by_subject text,                        -- the caseworker who rang (by phone)
    confirmed_at         timestamptz,
    referral_id          uuid        REFERENCES referrals (id),  -- taken in as
    not_taken_in         text        CHECK (not_taken_in IN ('already-referred',
                                                             'child-details-differ')),
    clashes_with         uuid,                        -- the child's open referral, if any
    CHECK ((confirmed_by IS NULL) = (confirmed_at IS NULL))
);
-- The contact's limit counts a day of its requests; the caseworkers' list, those not taken in.
CREATE INDEX public_requests_by_contact ON public_requests (contact_key, created_at);
CREATE INDEX public_requests_waiting ON public_requests (local_authority, created_at)
    WHERE referral_id IS NULL;
CREATE INDEX public_requests_to_erase ON public_requests (date_of_birth)
    WHERE request IS NOT NULL;

ALTER TABLE public_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE public_requests FORCE ROW LEVEL SECURITY;  -- its owner too (see 0009)
CREATE POLICY council ON public_requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A young person who asked for themselves says whether we may share what they tell us with
-- the professionals who help (s83: from the end of compulsory school age the decisions are
-- theirs).
ALTER TABLE referrals ADD COLUMN sharing_consent text
    CHECK (sharing_consent IN ('given', 'refused'));

-- A young person who lacks mental capacity is represented (Children and Families Act 2014
-- s80): the representative is told and acts for them. Who they are (name, contact) goes to
-- notifications only; here, on what basis and why, as the caseworker recorded it.
CREATE TABLE representatives (
    referral_id     uuid        PRIMARY KEY REFERENCES referrals (id),
    local_authority text        NOT NULL,
    relationship    text        NOT NULL CHECK (relationship IN ('deputy', 'attorney', 'parent',
                                                                  'other')),
    reason          text,                              -- the caseworker's words; erased at retention
    recorded_by     text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE representatives ENABLE ROW LEVEL SECURITY;
ALTER TABLE representatives FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON representatives
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
