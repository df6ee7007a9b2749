"""Retention is council policy: each council's period comes from RETENTION_YEARS_BY_COUNCIL
(JSON), others have RETENTION_YEARS_AFTER_BIRTH; a code or a period that cannot be right stops
the service at start-up rather than erasing the wrong records."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from referrals.config import ReferralsSettings
from referrals.retention import cut_off


def test_each_council_may_have_its_own_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETENTION_YEARS_AFTER_BIRTH", "31")
    monkeypatch.setenv("RETENTION_YEARS_BY_COUNCIL", '{"E08000032": 25, "E10000023": 40}')
    settings = ReferralsSettings()
    assert settings.retention_years_after_birth == 31
    assert settings.retention_years_by_council == {"E08000032": 25, "E10000023": 40}


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('{"E07000123": 31}', "SEND duties"),  # a district council
        ('{"Leeds": 31}', "SEND duties"),
        ('{"E08000035": 0}', "1 to 125"),
        ('{"E08000035": 500}', "1 to 125"),
        ('{"E08000035": "forever"}', "integer"),
    ],
)
def test_a_wrong_council_or_period_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("RETENTION_YEARS_BY_COUNCIL", value)
    with pytest.raises(ValidationError, match=why):
        ReferralsSettings()


def test_the_cut_off_is_the_birthday_that_many_years_ago() -> None:
    assert cut_off(date(2026, 11, 29), 31) == date(1995, 11, 29)
    assert cut_off(date(2028, 2, 29), 31) == date(1997, 2, 28)
