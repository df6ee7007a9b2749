-- Mediation after a decision that can be appealed (#21): the day the family asked a mediation
-- adviser and the day the certificate was issued. The last day to appeal is 2 months from the
-- notice, or 1 month from the certificate, whichever is later (computed, never stored).
ALTER TABLE ehc_requests ADD COLUMN mediation_asked_on date;
ALTER TABLE ehc_requests ADD COLUMN mediation_certificate_on date;
