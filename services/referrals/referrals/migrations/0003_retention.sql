-- Personal details are erased once a child's record is past the council's retention period
-- (often date of birth + 31 years); the referral's codes and dates stay for statistics.
ALTER TABLE children ADD COLUMN erased_at timestamptz;
CREATE INDEX children_to_erase ON children (date_of_birth) WHERE erased_at IS NULL;
