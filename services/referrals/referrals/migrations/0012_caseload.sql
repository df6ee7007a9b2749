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

-- The caseload is ordered by each referral's nearest open deadline: kept on the referral
-- (next_deadline, next_due_on) by a trigger on `deadlines`, so the first page of 20,000
-- referrals is an index scan that stops at the page's end, not a look at every referral's
-- deadlines and a sort (280 ms measured before, 20,000 referrals in one council). A trigger,
-- not the code: every writer of a deadline (the steps, the exceptions, the scheduler's
-- marks, which change neither date nor state and so do not fire it) keeps it without knowing.
-- Its writers hold the referral's row already (ehc_repository.load, the scheduler's claim),
-- so the update takes no new lock.
ALTER TABLE referrals ADD COLUMN next_deadline text, ADD COLUMN next_due_on date;

CREATE FUNCTION referrals_next_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.referral_id ELSE NEW.referral_id END;
BEGIN
    UPDATE referrals r SET (next_deadline, next_due_on) = (
        SELECT d.kind, d.due_on FROM deadlines d
        WHERE d.referral_id = target AND d.met_on IS NULL AND NOT d.cancelled
        ORDER BY d.due_on, d.kind LIMIT 1)
    WHERE r.id = target;
    RETURN NULL;
END $$;

CREATE TRIGGER referrals_next_deadline
    AFTER INSERT OR DELETE OR UPDATE OF due_on, met_on, cancelled ON deadlines
    FOR EACH ROW EXECUTE FUNCTION referrals_next_deadline();

UPDATE referrals r SET (next_deadline, next_due_on) = (
    SELECT d.kind, d.due_on FROM deadlines d
    WHERE d.referral_id = r.id AND d.met_on IS NULL AND NOT d.cancelled
    ORDER BY d.due_on, d.kind LIMIT 1);

CREATE INDEX referrals_caseload ON referrals (next_due_on, received_on, id)
    WHERE closed_at IS NULL;

-- A search by name looks for each word at the start of a word of the child's name: the words
-- of each child's name (hyphens and apostrophes part words too), kept by a trigger on
-- `children` (none once erased), found by prefix (`word ^@ $1`: starts_with, which is
-- leakproof, so row-level security lets an index serve it; LIKE is not, and a trigram index
-- on the names went unused under the policy: every name read, 15 ms a search of 20,000).
CREATE TABLE child_name_words (
    child_id        uuid NOT NULL REFERENCES children (id),
    local_authority text NOT NULL,
    word            text NOT NULL,
    PRIMARY KEY (child_id, word)
);
CREATE INDEX child_name_words_by_word ON child_name_words USING spgist (word);
ALTER TABLE child_name_words ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON child_name_words
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));

CREATE FUNCTION children_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM child_name_words WHERE child_id = NEW.id;
    IF NEW.erased_at IS NULL THEN
        INSERT INTO child_name_words (child_id, local_authority, word)
        SELECT DISTINCT NEW.id, NEW.local_authority, w
        FROM regexp_split_to_table(translate(NEW.name_key, U&'-''\2019', '   '), ' +') AS w
        WHERE w <> '';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER children_name_words
    AFTER INSERT OR UPDATE OF name_key, erased_at ON children
    FOR EACH ROW EXECUTE FUNCTION children_name_words();

INSERT INTO child_name_words (child_id, local_authority, word)
SELECT DISTINCT c.id, c.local_authority, w
FROM children c,
     regexp_split_to_table(translate(c.name_key, U&'-''\2019', '   '), ' +') AS w
WHERE c.erased_at IS NULL AND w <> '';
