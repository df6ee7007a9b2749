"""The phase transfer's rules (Reg 18): the year of transfer from the date of birth by the
English school year, the 15 February / 31 March deadlines (the day before is the last), and
what the amended plan of a transferring child must name."""

from __future__ import annotations

from datetime import date

import pytest
from referrals.live.phase_transfer import (
    NamedSetting,
    PhaseTransfer,
    applies_to,
    born_from_still_to_move,
    check_next_setting,
    cohort_year,
    last_legal_day,
    next_transfer,
    review_opens_on,
    state_of,
    transfer_year,
)
from referrals.statutory import InvalidStep


@pytest.mark.parametrize(
    ("born", "kind", "year"),
    [
        # born 1 Sep 2015 - 31 Aug 2016: 11 on 31 Aug 2027, Year 7 from September 2027
        (date(2015, 9, 1), "primary_to_secondary", 2027),
        (date(2016, 8, 31), "primary_to_secondary", 2027),
        (date(2016, 9, 1), "primary_to_secondary", 2028),
        (date(2015, 8, 31), "primary_to_secondary", 2026),
        (date(2022, 3, 10), "early_years_to_primary", 2026),  # Reception at 4
        (date(2018, 11, 2), "infant_to_junior", 2026),  # Year 3 at 7
        (date(2010, 6, 30), "secondary_to_post_16", 2026),  # Year 12 at 16
        (date(2010, 9, 1), "secondary_to_post_16", 2027),
    ],
)
def test_transfer_year_follows_the_school_cohort(born: date, kind: str, year: int) -> None:
    assert transfer_year(born, kind) == year  # type: ignore[arg-type]  # kinds as literals


def test_the_cohort_runs_from_1_september_to_31_august() -> None:
    assert cohort_year(date(2015, 9, 1)) == cohort_year(date(2016, 8, 31)) == 2016
    assert cohort_year(date(2016, 9, 1)) == 2017


@pytest.mark.parametrize(
    ("kind", "last"),
    [
        ("primary_to_secondary", date(2027, 2, 14)),
        ("early_years_to_primary", date(2027, 2, 14)),
        ("infant_to_junior", date(2027, 2, 14)),
        ("secondary_to_post_16", date(2027, 3, 30)),
    ],
)
def test_before_15_february_means_14_february_is_the_last_day(kind: str, last: date) -> None:
    assert last_legal_day(kind, 2027) == last  # type: ignore[arg-type]


def test_the_deadline_in_a_leap_year_is_still_the_day_before() -> None:
    assert last_legal_day("primary_to_secondary", 2028) == date(2028, 2, 14)
    assert last_legal_day("secondary_to_post_16", 2028) == date(2028, 3, 30)


def test_next_transfer_is_the_first_whose_september_is_to_come() -> None:
    born = date(2015, 12, 1)  # Year 7 in September 2027
    assert next_transfer(born, date(2026, 12, 6)) == PhaseTransfer("primary_to_secondary", 2027)
    # on 31 August 2027 the move is still to come; on 1 September it has happened
    assert next_transfer(born, date(2027, 8, 31)) == PhaseTransfer("primary_to_secondary", 2027)
    assert next_transfer(born, date(2027, 9, 1)) == PhaseTransfer("secondary_to_post_16", 2032)
    assert next_transfer(born, date(2032, 9, 1)) is None


def test_infant_to_junior_is_never_worked_out_only_set() -> None:
    born = date(2019, 1, 1)
    assert next_transfer(born, date(2024, 1, 1)) == PhaseTransfer("primary_to_secondary", 2030)


def test_the_review_opens_the_autumn_term_before_by_default() -> None:
    transfer = PhaseTransfer("primary_to_secondary", 2027)
    assert review_opens_on(transfer, 166) == date(2026, 9, 1)


TRANSFER = PhaseTransfer("primary_to_secondary", 2027)
NOW = NamedSetting(urn="107958")


def test_the_amended_plan_of_a_transferring_child_names_a_setting() -> None:
    for missing in (None, NamedSetting()):
        with pytest.raises(InvalidStep) as refused:
            check_next_setting(TRANSFER, NOW, missing)
        assert refused.value.field == "next_setting"


def test_naming_the_setting_the_child_attends_now_is_refused() -> None:
    with pytest.raises(InvalidStep) as refused:
        check_next_setting(TRANSFER, NOW, NamedSetting(urn="107958"))
    assert refused.value.field == "next_setting"


def test_a_next_school_or_its_type_is_accepted() -> None:
    assert check_next_setting(TRANSFER, NOW, NamedSetting(urn="140001")).urn == "140001"
    kept = NamedSetting(urn="107958", setting_type="special_school")  # an all-age school
    assert check_next_setting(TRANSFER, NOW, kept) == kept
    assert check_next_setting(TRANSFER, NOW, NamedSetting(ukprn="10001234")).ukprn


def test_a_child_older_than_the_last_move_is_not_worked_out() -> None:
    assert born_from_still_to_move(date(2027, 8, 31)) == date(2010, 9, 1)
    assert born_from_still_to_move(date(2027, 9, 1)) == date(2011, 9, 1)
    assert next_transfer(date(2010, 9, 1), date(2027, 8, 31)) is not None
    assert next_transfer(date(2011, 8, 31), date(2027, 9, 1)) is None
    assert next_transfer(date(2011, 9, 1), date(2027, 9, 1)) is not None


@pytest.mark.parametrize(
    ("met_on", "today", "state"),
    [
        (date(2027, 2, 14), date(2027, 3, 1), "issued"),  # on the last legal day: in time
        (date(2027, 2, 15), date(2027, 3, 1), "issued_late"),  # on 15 February: late
        (None, date(2027, 2, 14), "at_risk"),  # not yet issued, the last day today
        (None, date(2027, 2, 15), "missed"),
        (None, date(2027, 1, 1), "in_progress"),
        (None, date(2027, 2, 4), "at_risk"),
    ],
)
def test_the_cohort_state_is_exact_at_the_boundary(
    met_on: date | None, today: date, state: str
) -> None:
    assert state_of(date(2027, 2, 14), met_on, today, at_risk_days=10) == state


def test_the_transfers_amended_plan_is_one_of_the_school_year_before_the_move() -> None:
    assert not applies_to(TRANSFER, date(2026, 8, 31))  # an earlier year's amendment
    assert applies_to(TRANSFER, date(2026, 9, 1))
    assert applies_to(TRANSFER, date(2027, 8, 31))
    assert not applies_to(TRANSFER, date(2027, 9, 1))  # the child has moved
