-- The specialist registry, their allocations and the waitlist.

CREATE TABLE specialists (
    id              uuid PRIMARY KEY,
    display_name    text NOT NULL,       -- a team or role name, shown to caseworkers
    specialism      text NOT NULL,
    local_authority text NOT NULL,
    districts       text[] NOT NULL,     -- postcode districts served closest to home
    capacity        int NOT NULL CHECK (capacity >= 0),
    active          boolean NOT NULL DEFAULT true
);

CREATE INDEX specialists_by_area ON specialists (local_authority, specialism) WHERE active;

CREATE TABLE allocations (
    id            uuid PRIMARY KEY,
    referral_id   uuid NOT NULL UNIQUE,
    plan_id       uuid NOT NULL,
    specialist_id uuid NOT NULL REFERENCES specialists (id),
    status        text NOT NULL DEFAULT 'active',   -- active, ended
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX allocations_active ON allocations (specialist_id) WHERE status = 'active';

CREATE TABLE waitlist (
    referral_id     uuid PRIMARY KEY,
    plan_id         uuid NOT NULL,
    specialism      text NOT NULL,
    local_authority text NOT NULL,
    since           timestamptz NOT NULL DEFAULT now()
);
