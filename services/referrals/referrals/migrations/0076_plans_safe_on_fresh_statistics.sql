-- Plans that went bad while a database still had its just-migrated empty tables'
-- statistics (a new deployment's first minutes, every bench run), until autovacuum first
-- analysed the tables (issue #25).

-- Finding a child by NHS number (intake, the duplicate check) used the index of the other
-- identity rather than the unique one, and a search by that identity (the duplicate check)
-- the unique one: while the statistics know nothing, any index whose first column is the
-- council costs what a look-up does, so PostgreSQL read every child of the council (577
-- blocks a request at some 600 children in the bench). With the council last in both, each
-- serves only its own identity, and neither can be chosen for the council alone.
DROP INDEX children_by_identity;
CREATE INDEX children_by_identity ON children (date_of_birth, name_key, postcode, local_authority);
DROP INDEX children_nhs_number_per_council;
CREATE UNIQUE INDEX children_nhs_number_per_council ON children (nhs_number, local_authority);

-- The duplicate check's look-ups carry "erased_at IS NULL" and "closed_at IS NULL", which
-- made two partial indexes candidates for a scan of the whole index: on empty tables such a
-- scan costs what a look-up does, and a plan made then read every child, and every open
-- referral, for each check. The retention job's index holds every child now (it finds the
-- children due by date of birth and erased_at IS NULL as index conditions), so it is chosen
-- only with a date of birth; and a child's open referrals have an index of their own, in the
-- order the check takes them (the caseload's index stays for the caseload).
DROP INDEX children_to_erase;
CREATE INDEX children_to_erase ON children (date_of_birth, erased_at);
CREATE INDEX referrals_open_of_child ON referrals (child_id, created_at) WHERE closed_at IS NULL;
