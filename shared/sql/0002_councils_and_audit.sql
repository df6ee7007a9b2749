-- Council boundaries and the audit trail, in every service's database.
--
-- Row-level security: each service's own tables carry the council (ONS code) and let a
-- transaction see and write only the rows of the councils it acts for, which the service sets
-- in `send.local_authorities` (from the caller's token, or an event's `localauthority`; `*` for
-- the service's own background work). Without it set, nothing is visible. The services connect
-- as a role that does not own the tables, so the policies apply to them; migrations (the
-- owner) are not bound by them.

CREATE FUNCTION acting_for(council text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('send.local_authorities', true), '') = '*'
        OR council = ANY (string_to_array(current_setting('send.local_authorities', true), ','))
$$;

-- Who read or changed which child's record, when, from which request. Never the data itself.
-- Append-only for the services: their role may INSERT and SELECT it, never UPDATE or DELETE.
CREATE TABLE audit_log (
    id              bigserial   PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text        NOT NULL,          -- the token's subject, or system:<job>
    roles           text[]      NOT NULL,
    local_authority text        NOT NULL,
    action          text        NOT NULL,          -- read, create, update, erase
    resource        text        NOT NULL,          -- referral, plan, allocation, ...
    referral_id     uuid,
    request_id      text
);

CREATE INDEX audit_log_by_referral ON audit_log (referral_id, at);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY council ON audit_log
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
