-- Practitioners' own caseload (#20). An entry has its own mailbox, where it is told of each
-- child allocated to it; a practitioner of the entry (role specialist, scoped by a
-- registry_entry claim) accepts an allocation, arranges the first session and records each
-- session given against a line of the plan's provision (section F, by its id in the plan).

ALTER TABLE specialists ADD COLUMN email text;

ALTER TABLE allocations
    ADD COLUMN accepted_at      timestamptz,
    ADD COLUMN accepted_by      text,                 -- the practitioner's token subject
    ADD COLUMN first_session_on date;

CREATE TABLE sessions_given (
    id              uuid PRIMARY KEY,                 -- chosen by the client: a repeat is one
    allocation_id   uuid NOT NULL REFERENCES allocations (id),
    referral_id     uuid NOT NULL,
    local_authority text NOT NULL,                    -- the child's council
    provision_id    text NOT NULL,                    -- the plan's provision line delivered
    given_on        date NOT NULL,
    minutes         int  NOT NULL CHECK (minutes > 0),
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_given_by_allocation ON sessions_given (allocation_id, given_on);

ALTER TABLE sessions_given ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions_given FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON sessions_given
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A practitioner's caseload: their entry's allocations.
CREATE INDEX allocations_by_entry ON allocations (specialist_id, created_at);
