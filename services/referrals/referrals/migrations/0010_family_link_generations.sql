-- (Numbered after 0009, which #17's row-level security change takes.)
-- Revoking a family's links starts a new generation of them (family_link_generation + 1), and a
-- link of an earlier generation no longer opens the family view. Links carry the generation
-- their issuer (notifications) knew. Before, a revocation was a moment (now() of referrals'
-- database) compared with a link's iat (whole seconds, by the issuing process's clock): a link
-- made in the revocation's second, or by a clock running ahead, outlived it.
-- family_links_valid_after is no longer written: it still refuses the links issued before a
-- revocation made under the old rule (links of that time carry no generation: 0).
ALTER TABLE referrals ADD COLUMN family_link_generation integer NOT NULL DEFAULT 0;
