-- The caseload's "next deadline" (referrals.next_deadline, next_due_on) also sees a live plan's
-- other limits: a transfer's decision whether to reassess (Reg 15), a re-assessment's decision
-- and its plan (Regs 24, 27) in live_plan_deadlines, and a phase transfer's amended plan
-- (Reg 18) in phase_transfers. Before, only the EHC clock's and the annual review's were seen,
-- so a transferred plan's 6 weeks could pass with the caseload showing a review months away.

-- The trigger looks a referral's open limits up by referral (phase_transfers' key starts with it).
CREATE INDEX live_plan_deadlines_referral ON live_plan_deadlines (referral_id) WHERE met_on IS NULL;

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
            WHERE v.referral_id = target AND v.met_on IS NULL
            UNION ALL
            SELECT l.kind, l.due_on FROM live_plan_deadlines l
            WHERE l.referral_id = target AND l.met_on IS NULL
            UNION ALL
            SELECT 'phase_transfer', p.due_on FROM phase_transfers p
            WHERE p.referral_id = target AND p.met_on IS NULL) AS open
        ORDER BY due_on, kind LIMIT 1)
    WHERE r.id = target;
    RETURN NULL;
END $$;

CREATE TRIGGER referrals_next_live_plan_deadline
    AFTER INSERT OR DELETE OR UPDATE OF due_on, met_on ON live_plan_deadlines
    FOR EACH ROW EXECUTE FUNCTION referrals_next_deadline();

CREATE TRIGGER referrals_next_phase_transfer
    AFTER INSERT OR DELETE OR UPDATE OF due_on, met_on ON phase_transfers
    FOR EACH ROW EXECUTE FUNCTION referrals_next_deadline();

-- The referrals with such limits already: their next deadline again, with them.
UPDATE referrals r SET (next_deadline, next_due_on) = (
    SELECT kind, due_on FROM (
        SELECT d.kind, d.due_on FROM deadlines d
        WHERE d.referral_id = r.id AND d.met_on IS NULL AND NOT d.cancelled
        UNION ALL
        SELECT v.kind, v.due_on FROM review_deadlines v
        WHERE v.referral_id = r.id AND v.met_on IS NULL
        UNION ALL
        SELECT l.kind, l.due_on FROM live_plan_deadlines l
        WHERE l.referral_id = r.id AND l.met_on IS NULL
        UNION ALL
        SELECT 'phase_transfer', p.due_on FROM phase_transfers p
        WHERE p.referral_id = r.id AND p.met_on IS NULL) AS open
    ORDER BY due_on, kind LIMIT 1)
WHERE r.id IN (SELECT referral_id FROM live_plan_deadlines
               UNION SELECT referral_id FROM phase_transfers);
