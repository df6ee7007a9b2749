-- Advice the parent or young person asked the council to seek (#21; SEND Regulations 2014,
-- reg 6(1)(h): advice from any person they reasonably request the council seek advice from).
-- What they asked for, from whom and when, and the council's decision: seek it, or refuse it
-- as not reasonable, with its reason. Once one is recorded and not refused, advice of kind
-- asked_for_by_family must be sought (asked for, or existing advice agreed under reg 6(4))
-- before the decision whether to issue a plan. The words stay here (never in an event) and
-- are erased with the child's details.

CREATE TABLE family_advice_asks (
    id              uuid PRIMARY KEY,
    referral_id     uuid NOT NULL REFERENCES ehc_requests (referral_id),
    local_authority text NOT NULL,
    asked_on        date NOT NULL,
    advice          text NOT NULL,              -- what advice they asked for
    asked_of        text NOT NULL,              -- whom they asked the council to seek it from
    decision        text NOT NULL CHECK (decision IN ('seek', 'refuse')),
    refusal_reason  text,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((decision = 'refuse') = (refusal_reason IS NOT NULL))
);
CREATE INDEX family_advice_asks_referral ON family_advice_asks (referral_id);

ALTER TABLE family_advice_asks ENABLE ROW LEVEL SECURITY;
ALTER TABLE family_advice_asks FORCE ROW LEVEL SECURITY;
CREATE POLICY council ON family_advice_asks
    USING (acting_for(local_authority)) WITH CHECK (acting_for(local_authority));
