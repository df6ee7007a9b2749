-- Amending a plan after its annual review (Reg 22; referrals.live.amendment): the proposals'
-- day and the end of the family's time to comment, and the amended plan's day, on the review
-- that decided to amend. Its limit is the review's `amended_plan` deadline (0032).

ALTER TABLE annual_reviews
    ADD COLUMN proposals_sent_on date,
    ADD COLUMN comments_until    date,
    ADD COLUMN amended_issued_on date;
CREATE INDEX annual_reviews_amending ON annual_reviews (referral_id)
    WHERE decision = 'amend' AND amended_issued_on IS NULL;
