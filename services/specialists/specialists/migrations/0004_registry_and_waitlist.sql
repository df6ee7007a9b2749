-- The registry grows up (teams and practitioners, the councils, districts and settings they
-- serve, languages, a caseload weighted by complexity, a working pattern); allocations are one
-- per role a referral needs, keep the reasons for the choice and can end; the waitlist is one
-- row per role, ordered by the statutory deadline, then the wait.

ALTER TABLE specialists
    ADD COLUMN kind text NOT NULL DEFAULT 'team' CHECK (kind IN ('team', 'practitioner')),
    ADD COLUMN team_id uuid REFERENCES specialists (id),
    ADD COLUMN councils text[] NOT NULL DEFAULT '{}',          -- ONS codes of councils served
    ADD COLUMN settings text[] NOT NULL DEFAULT '{}',          -- school URNs visited
    ADD COLUMN languages text[] NOT NULL DEFAULT '{en}',       -- ISO 639 codes
    ADD COLUMN working_pattern text NOT NULL DEFAULT '',
    ADD COLUMN allocated_weight int NOT NULL DEFAULT 0 CHECK (allocated_weight >= 0),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

UPDATE specialists SET councils = ARRAY[local_authority];
CREATE INDEX specialists_by_role ON specialists (specialism) WHERE active;

-- `sensory_support` is not a role (shared/roles.py): a sensory service's places become its
-- teachers of the deaf (the entry keeps its id and allocations), of vision impairment and of
-- multi-sensory impairment (new entries), its capacity shared between them.
INSERT INTO specialists (id, display_name, specialism, local_authority, districts, capacity,
                         active, councils)
SELECT md5(id::text || ':' || role)::uuid, display_name || suffix, role, local_authority,
       districts, capacity / 4, active, councils
FROM specialists,
     (VALUES ('vision_impairment_teaching', ' (vision)'),
             ('multi_sensory_impairment_teaching', ' (multi-sensory)')) AS r (role, suffix)
WHERE specialism = 'sensory_support';
UPDATE specialists SET specialism = 'hearing_impairment_teaching',
                       display_name = display_name || ' (hearing)',
                       capacity = capacity - 2 * (capacity / 4)
WHERE specialism = 'sensory_support';

-- One allocation per role a referral needs; weighted; with its reasons; may end.
ALTER TABLE allocations DROP CONSTRAINT allocations_referral_id_key;
ALTER TABLE allocations
    ADD COLUMN role text,
    ADD COLUMN local_authority text,                      -- the child's council
    ADD COLUMN postcode_district text,
    ADD COLUMN weight int NOT NULL DEFAULT 1 CHECK (weight > 0),
    ADD COLUMN reasons text[] NOT NULL DEFAULT '{}',
    ADD COLUMN statutory boolean NOT NULL DEFAULT false,
    ADD COLUMN from_waitlist boolean NOT NULL DEFAULT false,
    ADD COLUMN needed_since timestamptz,                  -- the plan (or EHC request) asking
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN end_reason text;
UPDATE allocations a
SET role = CASE WHEN s.specialism = 'sensory_support' THEN 'hearing_impairment_teaching'
                ELSE s.specialism END,
    local_authority = s.local_authority, needed_since = a.created_at
FROM specialists s WHERE s.id = a.specialist_id;
ALTER TABLE allocations
    ALTER COLUMN role SET NOT NULL,
    ALTER COLUMN local_authority SET NOT NULL,
    ALTER COLUMN needed_since SET NOT NULL;
CREATE UNIQUE INDEX allocations_one_per_role ON allocations (referral_id, role)
    WHERE status = 'active';
CREATE INDEX allocations_by_referral ON allocations (referral_id);
CREATE INDEX allocations_for_report ON allocations (local_authority, role);

UPDATE specialists s SET allocated_weight = (
    SELECT count(*) FROM allocations a WHERE a.specialist_id = s.id AND a.status = 'active');

DROP POLICY council ON allocations;
CREATE POLICY council ON allocations
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- A team serving several councils is seen by each of them.
DROP POLICY council ON specialists;
CREATE POLICY council ON specialists
    USING (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM unnest(councils) AS c WHERE acting_for(c)))
    WITH CHECK (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM unnest(councils) AS c WHERE acting_for(c)));
-- (Only the owning council's managers change an entry: the API checks it.)

-- One row per role waited for.
ALTER TABLE waitlist DROP CONSTRAINT waitlist_pkey;
ALTER TABLE waitlist RENAME COLUMN specialism TO role;
UPDATE waitlist SET role = 'hearing_impairment_teaching' WHERE role = 'sensory_support';
ALTER TABLE waitlist
    ADD COLUMN reason text NOT NULL DEFAULT 'teams_full' CHECK (reason IN ('teams_full', 'no_team')),
    ADD COLUMN statutory_due date,
    ADD COLUMN statutory boolean NOT NULL DEFAULT false,
    ADD PRIMARY KEY (referral_id, role);
CREATE INDEX waitlist_in_priority ON waitlist (local_authority, role, statutory_due, since);

-- What matching knows of each child: codes only (from the plan and the EHC request).
CREATE TABLE referral_needs (
    referral_id       uuid PRIMARY KEY,
    local_authority   text NOT NULL,
    plan_id           uuid,
    primary_need      text,
    secondary_needs   text[] NOT NULL DEFAULT '{}',
    postcode_district text,
    school_urn        text,
    language          text NOT NULL DEFAULT 'en',
    track             text NOT NULL DEFAULT 'support',
    statutory_due     date,
    needed_since      timestamptz                         -- the plan's time
);
ALTER TABLE referral_needs ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON referral_needs
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
