-- The child's unique pupil number (UPN) for the SEN2 return (issue #22; referrals.sen2.upn):
-- optional, given at intake or later on the child. Its check letter is checked by the API;
-- the shape is checked here too so no other writer can store something that is not a UPN.
ALTER TABLE children ADD COLUMN upn text CHECK (upn ~ '^[A-Z][0-9]{12}$');
