"""Referrals: takes in requests for support, runs the statutory clock, keeps the timeline."""
