-- Advice due dates (#21; SEND Regulations 2014, reg 8): an adviser has 6 weeks from
-- receiving the council's request, which may be later than the day it was sent; and reg 8(2)
-- excuses that limit where it is impractical because of exceptional personal circumstances,
-- the family being away for 4 weeks or more, or a missed appointment. An excused advice
-- deadline is no longer watched (cancelled) and says why (the code; the caseworker's words
-- stay in `excused_reason`, erased with the child's details).

ALTER TABLE advice_requests ADD COLUMN advisers_received_on date;
ALTER TABLE advice_requests ADD COLUMN excused_because text
    CHECK (excused_because IN ('personal_circumstances', 'family_away', 'missed_appointment'));
ALTER TABLE advice_requests ADD COLUMN excused_reason text;
ALTER TABLE deadlines ADD COLUMN excused_because text;
