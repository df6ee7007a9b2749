-- The caseload's next deadline (referrals.next_deadline, next_due_on: 0012, 0068) is kept for
-- rows inserted into `deadlines` once a statement, not once a row. A row's trigger looked the
-- referral's open limits up again for every deadline inserted; an import of 5,000 open requests
-- (about 39,000 deadlines in one statement, issue #22) spent 27 s there (2,000: 3 s), growing
-- with the square of the file on a fresh database; set-based, the same 5,000 take 4 s.
-- Set-based, the statement's referrals are updated once each, with one join. Updates and
-- deletes keep the row trigger (its column list leaves out the scheduler's marks, which a
-- statement trigger with a transition table cannot do).

CREATE FUNCTION referrals_next_deadline_of_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE referrals r SET (next_deadline, next_due_on) = (n.kind, n.due_on)
    FROM (
        SELECT t.referral_id, o.kind, o.due_on
        FROM (SELECT DISTINCT referral_id FROM inserted) t
        LEFT JOIN (
            SELECT DISTINCT ON (referral_id) referral_id, kind, due_on FROM (
                SELECT d.referral_id, d.kind, d.due_on FROM deadlines d
                WHERE d.referral_id IN (SELECT referral_id FROM inserted)
                  AND d.met_on IS NULL AND NOT d.cancelled
                UNION ALL
                SELECT v.referral_id, v.kind, v.due_on FROM review_deadlines v
                WHERE v.referral_id IN (SELECT referral_id FROM inserted) AND v.met_on IS NULL
                UNION ALL
                SELECT l.referral_id, l.kind, l.due_on FROM live_plan_deadlines l
                WHERE l.referral_id IN (SELECT referral_id FROM inserted) AND l.met_on IS NULL
                UNION ALL
                SELECT p.referral_id, 'phase_transfer', p.due_on FROM phase_transfers p
                WHERE p.referral_id IN (SELECT referral_id FROM inserted) AND p.met_on IS NULL
            ) AS open
            ORDER BY referral_id, due_on, kind
        ) o ON o.referral_id = t.referral_id
    ) n
    WHERE r.id = n.referral_id;
    RETURN NULL;
END $$;

DROP TRIGGER referrals_next_deadline ON deadlines;

CREATE TRIGGER referrals_next_deadline
    AFTER DELETE OR UPDATE OF due_on, met_on, cancelled ON deadlines
    FOR EACH ROW EXECUTE FUNCTION referrals_next_deadline();

CREATE TRIGGER referrals_next_deadline_inserted
    AFTER INSERT ON deadlines REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION referrals_next_deadline_of_inserted();
