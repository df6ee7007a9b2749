-- A team shared by several councils serves each only once that council has agreed
-- (specialists/sharing.py). `councils` stays what matching, the waitlist, the report and
-- row-level security read: the councils an entry serves now. `awaiting_councils`: those its
-- commissioning council named that have not agreed yet. Who agreed for which council, and
-- when, is kept in registry_agreements, never deleted (an agreement ends when its council
-- leaves the entry or withdraws, or the entry takes another role) and audited.

ALTER TABLE specialists ADD COLUMN awaiting_councils text[] NOT NULL DEFAULT '{}';

CREATE TABLE registry_agreements (
    id              bigserial PRIMARY KEY,
    entry_id        uuid NOT NULL REFERENCES specialists (id),
    local_authority text NOT NULL,            -- the council agreeing to be served
    agreed_by       text NOT NULL,            -- a manager's token subject, or system:<job>
    agreed_at       timestamptz NOT NULL DEFAULT now(),
    ended_by        text,
    ended_at        timestamptz,
    CHECK ((ended_by IS NULL) = (ended_at IS NULL))
);

CREATE UNIQUE INDEX registry_agreements_in_force ON registry_agreements (entry_id, local_authority)
    WHERE ended_at IS NULL;

-- An entry in use keeps serving its commissioning council (whose managers made it); any other
-- council it served was never asked, so from now on it waits for that council to agree.
INSERT INTO registry_agreements (entry_id, local_authority, agreed_by)
SELECT id, local_authority, 'system:migration-0006' FROM specialists
WHERE local_authority = ANY (councils);

UPDATE specialists s SET
    awaiting_councils = ARRAY(SELECT c FROM unnest(s.councils) WITH ORDINALITY AS n (c, i)
                              WHERE c <> s.local_authority ORDER BY i),
    councils = CASE WHEN s.local_authority = ANY (s.councils) THEN ARRAY[s.local_authority]
                    ELSE '{}' END
WHERE s.councils <> ARRAY[s.local_authority];

-- Row-level security, one policy per command (it was one for all, of 0004). An entry is seen
-- by the council commissioning it, the councils it serves and those asked to agree; only the
-- commissioning council's transactions create one (before, naming another council among those
-- served let a transaction insert an entry commissioned by that council). Which change each
-- may make is the API's rule: the commissioning council its fields, a served council the places
-- its children take, an asked council its agreement.
DROP POLICY council ON specialists;
CREATE POLICY council_reads ON specialists FOR SELECT
    USING (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM unnest(councils || awaiting_councils) AS c WHERE acting_for(c)));
CREATE POLICY council_creates ON specialists FOR INSERT
    WITH CHECK (acting_for(local_authority));
CREATE POLICY council_changes ON specialists FOR UPDATE
    USING (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM unnest(councils || awaiting_councils) AS c WHERE acting_for(c)))
    WITH CHECK (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM unnest(councils || awaiting_councils) AS c WHERE acting_for(c)));
CREATE POLICY council_removes ON specialists FOR DELETE
    USING (acting_for(local_authority));

-- An agreement is seen by its council and by the entry's commissioning council; recorded only
-- by a transaction acting for the council agreeing; ended by either. Forced, so the tables'
-- owner is bound too (it migrates and seeds acting for every council).
ALTER TABLE registry_agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE registry_agreements FORCE ROW LEVEL SECURITY;
CREATE POLICY council_reads ON registry_agreements FOR SELECT
    USING (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM specialists s WHERE s.id = entry_id AND acting_for(s.local_authority)));
CREATE POLICY council_agrees ON registry_agreements FOR INSERT
    WITH CHECK (acting_for(local_authority));
CREATE POLICY council_ends ON registry_agreements FOR UPDATE
    USING (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM specialists s WHERE s.id = entry_id AND acting_for(s.local_authority)))
    WITH CHECK (acting_for(local_authority) OR EXISTS (
        SELECT 1 FROM specialists s WHERE s.id = entry_id AND acting_for(s.local_authority)));
