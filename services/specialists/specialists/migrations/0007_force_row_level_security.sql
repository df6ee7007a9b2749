-- Row-level security binds the tables' owner too (FORCE), not only the services' role. Without
-- it, the owner, and any role that is a member of the owner (PostgreSQL treats a member as the
-- owner), would see and change every council's rows. The migrations, acting as the owner, act
-- for every council ('*' in send.local_authorities, shared/migrations.py), as do the seed and
-- an operator who connects as the owner (shared.migrations.owner_connection).

ALTER TABLE specialists FORCE ROW LEVEL SECURITY;
ALTER TABLE waitlist FORCE ROW LEVEL SECURITY;
ALTER TABLE allocations FORCE ROW LEVEL SECURITY;
ALTER TABLE referral_needs FORCE ROW LEVEL SECURITY;
