-- What the caseload filters on that the specialists service decides: which registry entry (a
-- team or a practitioner) works with each referral, and which roles it waits for. A projection
-- of specialists' events (specialist-assigned, referral-waitlisted, allocation-ended), kept by
-- the handlers that put those events on the timeline, so the caseload filters in one query and
-- never calls another service. Events of different topics may arrive in any order: an
-- allocation's end may come before its start (assigned_at is then null), a wait after the
-- allocation that ended it (it is not recorded then). Referrals' events from before this
-- migration are not replayed: their teams and waits appear with their next event.

CREATE TABLE specialist_allocations (
    allocation_id   uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    specialist_id   uuid NOT NULL,          -- the specialists registry entry
    specialism      text NOT NULL,
    assigned_at     timestamptz,            -- null until specialist-assigned is consumed
    ended_at        timestamptz
);
CREATE INDEX specialist_allocations_active ON specialist_allocations (specialist_id, referral_id)
    WHERE assigned_at IS NOT NULL AND ended_at IS NULL;
CREATE INDEX specialist_allocations_by_referral ON specialist_allocations (referral_id);

CREATE TABLE specialist_waits (
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    specialism      text NOT NULL,
    local_authority text NOT NULL,
    since           timestamptz NOT NULL,
    PRIMARY KEY (referral_id, specialism)
);

ALTER TABLE specialist_allocations ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON specialist_allocations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE specialist_waits ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON specialist_waits
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
