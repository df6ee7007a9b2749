-- The caseload's tables (0012) bind their owner too, as every table with a council does
-- (0009), and 0012's two backfills again: where 0012 ran as an owner acting for no council
-- under forced row-level security (before the migrations acted for every council), they saw
-- no row and did nothing. Both are idempotent: a database they filled stays as it is.

ALTER TABLE specialist_allocations FORCE ROW LEVEL SECURITY;
ALTER TABLE specialist_waits FORCE ROW LEVEL SECURITY;
ALTER TABLE child_name_words FORCE ROW LEVEL SECURITY;

UPDATE referrals r SET (next_deadline, next_due_on) = (
    SELECT d.kind, d.due_on FROM deadlines d
    WHERE d.referral_id = r.id AND d.met_on IS NULL AND NOT d.cancelled
    ORDER BY d.due_on, d.kind LIMIT 1)
WHERE r.next_due_on IS NULL;

INSERT INTO child_name_words (child_id, local_authority, word)
SELECT DISTINCT c.id, c.local_authority, w
FROM children c,
     regexp_split_to_table(translate(c.name_key, U&'-''\2019', '   '), ' +') AS w
WHERE c.erased_at IS NULL AND w <> ''
ON CONFLICT DO NOTHING;
