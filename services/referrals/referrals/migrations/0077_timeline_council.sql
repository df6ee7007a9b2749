-- A step on the timeline carries its referral's council, and the policy asks only that, as
-- every other table's does: no look-up in referrals for each step read. The policy asked
-- whether the step's referral is visible, which PostgreSQL answered either by hashing every
-- visible referral (a plan made on a new database's empty-table statistics did so for each
-- step written: 3 million referrals rows read in a bench drain of 1,500) or, asked as a scalar
-- subquery, by a look-up for each step read (the bench's read of the whole timeline each
-- second: 5.7 to 15-64 ms). A step's council is its referral's and never changes (a referral
-- never moves council), so it is filled in from the referral when the step is written, by a
-- trigger: the statements that write steps stay as they are. A referral this session cannot
-- see gives no council, and the policy refuses the step, as it did (issue #25).

ALTER TABLE timeline ADD COLUMN local_authority text;
UPDATE timeline t SET local_authority = r.local_authority FROM referrals r WHERE r.id = t.referral_id;
ALTER TABLE timeline ALTER COLUMN local_authority SET NOT NULL;

CREATE FUNCTION timeline_council() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.local_authority INTO NEW.local_authority FROM referrals r WHERE r.id = NEW.referral_id;
    RETURN NEW;
END $$;

CREATE TRIGGER timeline_council BEFORE INSERT ON timeline
    FOR EACH ROW EXECUTE FUNCTION timeline_council();

ALTER POLICY council ON timeline
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
