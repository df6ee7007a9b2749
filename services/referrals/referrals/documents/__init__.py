"""The document store: evidence, advice, letters and reports, part of a child's record (so the
referrals service's, which already decides who may read that record)."""
