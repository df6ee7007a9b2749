-- Run once by the postgres image on an empty data volume
-- (/docker-entrypoint-initdb.d). Mirrors deploy/local/postgres.sh: role
-- send/send and one database per service, owned by send.
CREATE ROLE send WITH LOGIN CREATEDB PASSWORD 'send';
CREATE DATABASE referrals OWNER send;
CREATE DATABASE plans OWNER send;
CREATE DATABASE specialists OWNER send;
CREATE DATABASE notifications OWNER send;
