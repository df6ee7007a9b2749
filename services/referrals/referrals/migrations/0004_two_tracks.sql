-- Two tracks: a support request (no statutory clock) and an EHC needs assessment request, whose
-- statutory process runs on its clock (SEND Regulations 2014). Every table with children's data
-- carries the council and is bound by the council policy (see 0002).

-- Referrals taken in before this were on the one journey there was, the support journey; a
-- caseworker escalates one that was an EHC request, giving the day the council received it.
ALTER TABLE referrals ADD COLUMN track text NOT NULL DEFAULT 'support'
    CHECK (track IN ('support', 'ehc'));
-- An EHC request ends with a refusal to assess, a decision not to issue, or the final plan;
-- while none of that has happened (and always on the support track) the referral is open.
ALTER TABLE referrals ADD COLUMN closed_at timestamptz;
-- The deadlines live in `deadlines` alone (one source; the 16-week date was mislabelled).
ALTER TABLE referrals DROP COLUMN decision_due, DROP COLUMN draft_plan_due,
    DROP COLUMN final_plan_due;

-- How duplicates are found: the name in one comparable form (NFC, case-folded, one space).
ALTER TABLE children ADD COLUMN name_key text;
UPDATE children SET name_key = lower(given_name || ' ' || family_name);
ALTER TABLE children ALTER COLUMN name_key SET NOT NULL;
CREATE INDEX children_by_identity ON children (local_authority, date_of_birth, name_key, postcode);

-- What a step on the timeline was about: which deadline, which advice, which decision.
ALTER TABLE timeline ADD COLUMN detail text;

CREATE TABLE ehc_requests (
    referral_id           uuid PRIMARY KEY REFERENCES referrals (id),
    local_authority       text NOT NULL,
    requested_on          date NOT NULL,          -- the clock starts (Europe/London)
    requested_by          text NOT NULL,
    escalated             boolean NOT NULL,       -- from a support request
    stage                 text NOT NULL,
    assessment_decision   text,                   -- assess | refuse
    assessment_decided_on date,
    refusal_reason        text,
    plan_decision         text,                   -- issue | not_issue
    plan_decided_on       date,
    not_issue_reason      text,
    draft_issued_on       date,
    comments_due          date,
    final_issued_on       date,
    decision_note         text,                   -- the caseworker's words to the family; never in events
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ehc_requests_by_year ON ehc_requests (local_authority, requested_on);

-- Exceptions to the time limits (Regs 5(4), 10(4), 13(3)), each with its reason and dates.
CREATE TABLE statutory_exceptions (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES ehc_requests (referral_id),
    local_authority text NOT NULL,
    kind            text NOT NULL,
    starts_on       date NOT NULL,
    ends_on         date NOT NULL CHECK (ends_on >= starts_on),
    reason          text NOT NULL,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX statutory_exceptions_by_referral ON statutory_exceptions (referral_id);

CREATE TABLE advice_requests (
    referral_id     uuid NOT NULL REFERENCES ehc_requests (referral_id),
    kind            text NOT NULL,
    local_authority text NOT NULL,
    requested_on    date NOT NULL,
    due_on          date NOT NULL,
    received_on     date,
    PRIMARY KEY (referral_id, kind)
);

-- Every statutory deadline of every open request: what the scheduler watches. `due_on` has the
-- recorded exceptions applied, `statutory_due_on` not (SEN2 reports both). The scheduler sends
-- at-risk and missed once each (the *_sent_on columns, set in the transaction that stores the
-- event in the outbox); a deadline moved by an exception is a new deadline, so both reset.
CREATE TABLE deadlines (
    referral_id      uuid NOT NULL REFERENCES ehc_requests (referral_id),
    kind             text NOT NULL,
    local_authority  text NOT NULL,
    statutory_due_on date NOT NULL,
    due_on           date NOT NULL,
    met_on           date,
    cancelled        boolean NOT NULL DEFAULT false,
    at_risk_sent_on  date,
    missed_sent_on   date,
    PRIMARY KEY (referral_id, kind)
);
CREATE INDEX deadlines_open ON deadlines (due_on) WHERE met_on IS NULL AND NOT cancelled;

-- A POST retried with the same Idempotency-Key gets the first answer and creates nothing.
CREATE TABLE idempotency_keys (
    caller          text NOT NULL,                -- the token's subject: keys are per client
    key             text NOT NULL,
    local_authority text NOT NULL,
    request_hash    text NOT NULL,
    status_code     integer,
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

ALTER TABLE ehc_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON ehc_requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE statutory_exceptions ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON statutory_exceptions
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE advice_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON advice_requests
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE deadlines ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON deadlines
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON idempotency_keys
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
