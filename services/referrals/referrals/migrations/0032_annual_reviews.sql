-- The annual review of each plan in force (Regs 18-22; referrals.live.annual_review): one row a
-- year, the next scheduled when one is decided, at most one not yet decided per plan. Its
-- limits are rows of review_deadlines, watched by the review scheduler as `deadlines` are by
-- the EHC clock's (each warning marked sent once, in the unit of work that sends it).

CREATE TABLE annual_reviews (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    due_on          date NOT NULL,      -- the meeting by: 12 months from the issue or last review
    stage           text NOT NULL,
    opened_on       date,
    meeting_on      date,
    invited_on      date,
    invitees        text[],
    held_on         date,
    report_sent_on  date,
    decision        text CHECK (decision IN ('keep', 'amend', 'cease')),
    decided_on      date,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX annual_reviews_one_open ON annual_reviews (referral_id)
    WHERE decided_on IS NULL;
CREATE INDEX annual_reviews_to_open ON annual_reviews (due_on) WHERE opened_on IS NULL;

CREATE TABLE review_deadlines (
    review_id       uuid NOT NULL REFERENCES annual_reviews (id),
    kind            text NOT NULL,
    referral_id     uuid NOT NULL REFERENCES referrals (id),
    local_authority text NOT NULL,
    due_on          date NOT NULL,
    met_on          date,
    at_risk_sent_on date,
    missed_sent_on  date,
    PRIMARY KEY (review_id, kind)
);
CREATE INDEX review_deadlines_open ON review_deadlines (due_on) WHERE met_on IS NULL;
CREATE INDEX review_deadlines_by_referral ON review_deadlines (referral_id) WHERE met_on IS NULL;

ALTER TABLE annual_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE annual_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON annual_reviews
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
ALTER TABLE review_deadlines ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_deadlines FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON review_deadlines
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

-- The caseload's nearest deadline (0012) is the nearest of both kinds: the EHC clock's and the
-- annual review's. One function for both triggers, so neither overwrites the other's.
CREATE OR REPLACE FUNCTION referrals_next_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.referral_id ELSE NEW.referral_id END;
BEGIN
    UPDATE referrals r SET (next_deadline, next_due_on) = (
        SELECT kind, due_on FROM (
            SELECT d.kind, d.due_on FROM deadlines d
            WHERE d.referral_id = target AND d.met_on IS NULL AND NOT d.cancelled
            UNION ALL
            SELECT v.kind, v.due_on FROM review_deadlines v
            WHERE v.referral_id = target AND v.met_on IS NULL) AS open
        ORDER BY due_on, kind LIMIT 1)
    WHERE r.id = target;
    RETURN NULL;
END $$;

CREATE TRIGGER referrals_next_review_deadline
    AFTER INSERT OR DELETE OR UPDATE OF due_on, met_on ON review_deadlines
    FOR EACH ROW EXECUTE FUNCTION referrals_next_deadline();

-- The plans brought in before this migration get their review (and its deadline) now.
INSERT INTO annual_reviews (id, referral_id, local_authority, due_on, stage)
SELECT gen_random_uuid(), l.referral_id, l.local_authority, l.review_due_on, 'scheduled'
FROM live_plans l
WHERE NOT EXISTS (SELECT FROM annual_reviews a WHERE a.referral_id = l.referral_id);
INSERT INTO review_deadlines (review_id, kind, referral_id, local_authority, due_on)
SELECT a.id, 'review_meeting', a.referral_id, a.local_authority, a.due_on
FROM annual_reviews a ON CONFLICT DO NOTHING;
