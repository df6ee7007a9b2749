-- The council decided to assess (#21): the statutory advice-givers (an educational
-- psychologist for every child, a sensory teacher for a sensory need) are allocated then. A
-- decision that reaches matching before the child's plan is kept here (the day it was made),
-- and the advisers are allocated with the plan when it comes, whichever order they arrive in.
ALTER TABLE referral_needs ADD COLUMN assessing_since date;
