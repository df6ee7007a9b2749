-- Row-level security binds the tables' owner too (FORCE), not only the services' role. Without
-- it, the owner, and any role that is a member of the owner (PostgreSQL treats a member as the
-- owner), would see and change every council's rows. The migrations, acting as the owner, act
-- for every council ('*' in send.local_authorities, shared/migrations.py), as do the seed and
-- an operator who connects as the owner (shared.migrations.owner_connection).

ALTER TABLE children FORCE ROW LEVEL SECURITY;
ALTER TABLE referrals FORCE ROW LEVEL SECURITY;
ALTER TABLE timeline FORCE ROW LEVEL SECURITY;
ALTER TABLE ehc_requests FORCE ROW LEVEL SECURITY;
ALTER TABLE statutory_exceptions FORCE ROW LEVEL SECURITY;
ALTER TABLE advice_requests FORCE ROW LEVEL SECURITY;
ALTER TABLE deadlines FORCE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
