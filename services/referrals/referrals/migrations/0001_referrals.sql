-- Children and their referrals, and the timeline of every step a referral has taken.

CREATE TABLE children (
    id            uuid PRIMARY KEY,
    nhs_number    text UNIQUE,                 -- may be unknown when a parent refers
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    date_of_birth date NOT NULL,
    postcode      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE referrals (
    id                uuid PRIMARY KEY,
    child_id          uuid NOT NULL REFERENCES children (id),
    local_authority   text NOT NULL,
    requested_by      text NOT NULL,
    primary_need      text NOT NULL,
    postcode_district text NOT NULL,
    received_on       date NOT NULL,
    decision_due      date NOT NULL,
    draft_plan_due    date NOT NULL,
    final_plan_due    date NOT NULL,
    status            text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX referrals_by_child ON referrals (child_id);

CREATE TABLE timeline (
    referral_id uuid NOT NULL REFERENCES referrals (id),
    event_id    uuid NOT NULL,
    step        text NOT NULL,
    service     text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (referral_id, event_id)
);
