-- NHS partners' referrals: each partner's request identifier and the answer it was given, so a
-- request published again (or delivered again) makes no second referral and gets the same
-- answer. Only ids and the FHIR Task (our id, a link): no personal data, no council policy.
CREATE TABLE partner_requests (
    partner      text        NOT NULL,
    request_id   text        NOT NULL,
    referral_id  uuid        NOT NULL REFERENCES referrals (id),
    answer       jsonb       NOT NULL,
    answered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, request_id)
);
