-- A referral's statutory EHC request can end (a refusal, a decision not to issue, the final
-- plan) while the support it started goes on: closed_at says the referral's requests are
-- over, support_ended_at that the council's support is (POST .../close, which ends the
-- specialists' allocations). Before this, an escalated referral closed by its EHC outcome
-- could never be closed for support, and its allocations never ended.
ALTER TABLE referrals ADD COLUMN support_ended_at timestamptz;
UPDATE referrals r SET support_ended_at = r.closed_at
WHERE r.closed_at IS NOT NULL
  AND NOT EXISTS (SELECT FROM ehc_requests e WHERE e.referral_id = r.id);
