"""What a family sees of their child's plan through the link in their messages: the plan in
their words (JSON for the workspace's page, and a PDF), and their comments on it. The link is
the key (``access``); it opens this referral's plan and nothing else."""
