-- (Numbered after 0008, which #17's row-level security change takes.)
-- Revocations by generation (referrals' FamilyLinksRevoked carries the referral's new link
-- generation; a link of an earlier one no longer opens the plan page). valid_after stays for
-- revocations made under the old rule (events of generation 0, by their moment); a row of
-- generation only has '-infinity' there.
ALTER TABLE family_link_revocations ADD COLUMN generation integer NOT NULL DEFAULT 0;
ALTER TABLE family_link_revocations ALTER COLUMN valid_after SET DEFAULT '-infinity';
