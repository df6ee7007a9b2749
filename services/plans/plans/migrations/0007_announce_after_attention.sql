-- The referral event a plan was drafted from (codes and dates only, as the event carries): a
-- draft that failed a quality check is not announced; once a caseworker's edit makes every
-- check pass, plan-drafted is announced from it.
ALTER TABLE support_plans ADD COLUMN referral jsonb;
