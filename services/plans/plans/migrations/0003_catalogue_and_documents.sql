-- The standards catalogue, by layer (national, or a council's ONS code) and version, as
-- imported from plans/catalogue/*.json after the migrations (plans.catalogue_store). A
-- released version is never edited: the import refuses a file whose checksum changed.
-- Not children's data: no row-level security.

CREATE TABLE catalogue_versions (
    layer       text NOT NULL,
    version     text NOT NULL,
    checksum    text NOT NULL,             -- sha256 of the file as released
    body        jsonb NOT NULL,            -- the whole file (needs' descriptions, standards)
    imported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (layer, version)
);

CREATE TABLE catalogue_standards (
    layer       text NOT NULL,
    version     text NOT NULL,
    standard_id text NOT NULL,
    needs       text[] NOT NULL,
    phases      text[] NOT NULL,
    body        jsonb NOT NULL,
    PRIMARY KEY (layer, version, standard_id),
    FOREIGN KEY (layer, version) REFERENCES catalogue_versions (layer, version)
);

-- The plan's document (sections A-K as plans.document.PlanDocument) stays in `sections`;
-- with it now: the track, the quality checks' results and the catalogue versions used.
ALTER TABLE support_plans
    ADD COLUMN track text NOT NULL DEFAULT 'support',
    ADD COLUMN checks jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN catalogue_versions text[] NOT NULL DEFAULT '{}';

-- A referral described by its referrer drafts once both of its events have arrived (they come
-- on two topics, in either order): the first is kept here until the second comes. Holds the
-- referrer's words (special category data): removed once the plan is drafted.
CREATE TABLE plan_inputs (
    referral_id     uuid PRIMARY KEY,
    local_authority text NOT NULL,
    received        jsonb,
    described       jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE plan_inputs ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON plan_inputs
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
