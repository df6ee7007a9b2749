-- Run once by the postgres image on an empty data volume
-- (/docker-entrypoint-initdb.d). Mirrors deploy/local/postgres.sh: the roles
-- only. send owns the tables and runs the migrations; send_app is what the
-- services connect as (not the owner, no BYPASSRLS: row-level security binds
-- it). Each service's database is created by `make migrate`
-- (python -m shared.migrations --create-database) from shared/services.py,
-- so the list of services is kept there alone. tests/unit/test_compose_roles.py
-- checks these against the URLs shared/services.py builds.
-- CREATEROLE: tests make throwaway roles (a member of the tables' owner must be refused).
CREATE ROLE send WITH LOGIN CREATEDB CREATEROLE PASSWORD 'send';
CREATE ROLE send_app WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD 'send_app';
-- A test run drops its databases WITH (FORCE), ending the services' sessions in them.
GRANT pg_signal_backend TO send;
