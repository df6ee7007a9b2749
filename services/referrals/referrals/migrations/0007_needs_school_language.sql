-- A referral's further needs, the child's school and the family's language (what plans and
-- specialists match on). The referrer's own words are not kept here: they go to plans.
ALTER TABLE referrals
    ADD COLUMN secondary_needs text[] NOT NULL DEFAULT '{}',
    ADD COLUMN school_urn      text,
    ADD COLUMN language        text   NOT NULL DEFAULT 'en';
