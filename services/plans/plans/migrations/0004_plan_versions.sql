-- A plan's life: its status on each track, the dates that drive it, and every version of it
-- (who, when, why, the status at the time), with the family's comments kept with the version
-- they were about.

-- IF NOT EXISTS: the drafting work (0003) may add some of these (checks, track) too.
ALTER TABLE support_plans
    ADD COLUMN IF NOT EXISTS track text NOT NULL DEFAULT 'support',            -- support, ehc
    ADD COLUMN IF NOT EXISTS version int NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS checks jsonb NOT NULL DEFAULT '[]',               -- as last run
    ADD COLUMN IF NOT EXISTS issue_decided boolean NOT NULL DEFAULT false,     -- EHC: will issue
    ADD COLUMN IF NOT EXISTS final_plan_due date,                              -- EHC: statutory
    ADD COLUMN IF NOT EXISTS comments_until date,                              -- EHC: the window
    ADD COLUMN IF NOT EXISTS no_more_comments boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS review_due_on date,
    ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();

-- Status: draft, shared, changes_requested, agreed, review_due, issued_for_comment, final.
CREATE INDEX support_plans_review_due ON support_plans (review_due_on)
    WHERE status IN ('agreed', 'final');

CREATE TABLE plan_versions (
    plan_id         uuid NOT NULL REFERENCES support_plans (id) ON DELETE CASCADE,
    version         int NOT NULL,
    referral_id     uuid NOT NULL,
    local_authority text NOT NULL,
    status          text NOT NULL,               -- the plan's status when this version was made
    document        jsonb NOT NULL,
    changed_by      text NOT NULL,               -- 'plans', or the caseworker's subject
    reason          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (plan_id, version)
);

-- The first version of every plan drafted before versions were kept.
INSERT INTO plan_versions (plan_id, version, referral_id, local_authority, status, document,
                           changed_by, reason, created_at)
SELECT id, 1, referral_id, local_authority, status, sections, 'plans', 'drafted', created_at
FROM support_plans;

CREATE TABLE plan_comments (
    id               uuid PRIMARY KEY,
    plan_id          uuid NOT NULL,
    version          int NOT NULL,
    referral_id      uuid NOT NULL,
    local_authority  text NOT NULL,
    comments         text NOT NULL,              -- special category data: never logged
    preferred_school text,                       -- EHC: the school the family asks to be named
    agreed           boolean NOT NULL,
    taken_by         text NOT NULL,              -- 'family', or the caseworker's subject
    received_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (plan_id, version) REFERENCES plan_versions (plan_id, version) ON DELETE CASCADE
);
CREATE INDEX plan_comments_by_version ON plan_comments (plan_id, version);

-- Each council sees only its own children's plans (see shared 0002).
ALTER TABLE plan_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON plan_versions
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE plan_comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON plan_comments
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
