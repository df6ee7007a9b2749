"""Whose limit each deadline on a caseworker's page is: only the limits the law sets on the
council are called legal; an adviser's 6 weeks is theirs (Reg 8)."""

from __future__ import annotations

import pytest
from web import words


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("decision", "Legal time limit"),
        ("final_plan", "Legal time limit"),
        ("issue_decision", "Council's target"),
        ("draft_plan", "Council's target"),
        ("advice:educational", "Adviser's legal time limit (6 weeks, Reg 8)"),
    ],
)
def test_only_the_laws_limits_on_the_council_are_called_legal(kind: str, said: str) -> None:
    assert words.limit_kind(kind) == said
