"""What a family hears, through which channel and when: the message catalogue, the words, and
the sender's decisions (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, KINDS, Audience
from notifications.config import CouncilMessaging
from notifications.domain import (
    FamilyAlert,
    GiveUp,
    Hold,
    Policy,
    Reach,
    Send,
    Tried,
    Wait,
    Withhold,
    alerts_for,
    channel_plan,
    delivered,
    failed,
    next_step,
    quiet_until,
    sent,
)
from notifications.templates import TEXTS, as_notify, email_parts, fields_of, personalisation, words
from pydantic import ValidationError

from devtools.local_notify import template_list
from shared.events import DeadlineAtRisk, PartnerReferralHeld
from tests.events import sample_event

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = Policy(providers={"email": "notify", "sms": "notify", "letter": "notify"})
FAMILY = Reach(email="a@example.org", phone="07700900123", preferred="sms")


def _alert(template: str = "specialist-assigned", **kw: object) -> FamilyAlert:
    return FamilyAlert(uuid4(), uuid4(), uuid4(), template, "E08000035", **kw)  # type: ignore[arg-type]  # test shorthand


def test_every_catalogued_message_has_words_in_english() -> None:
    for template in KINDS:
        w = words(template, "en")
        assert w.subject
        assert w.body
        assert w.sms
        assert "{link}" in w.body
        assert "{link}" in w.sms
        assert "{reference}" in w.sms


def test_the_request_received_message_says_what_happens_next_and_no_statutory_date() -> None:
    """A family on the support track asked for no EHC needs assessment: they are never told
    "if an EHC needs assessment was asked for, we will tell you by..." (the EHC track's own
    message, "ehc-assessment-requested", gives its dates)."""
    event = sample_event(next(iter(CATALOGUE)), uuid4())
    [alert] = alerts_for(event, CATALOGUE[type(event)], event_id=uuid4(), local_authority="E1")
    fields = personalisation(
        reference="AB12CD34", link="https://x/f", young_person=False, details=dict(alert.details)
    )
    subject, plain, _ = email_parts(words("request-received", "en"), fields)
    assert "5 January 2026" in plain  # received, in GOV.UK date style
    assert "What happens next" in plain
    assert "EHC" not in subject + plain
    assert "16 February 2026" not in plain  # no decision date
    assert "25 May 2026" not in plain  # no final plan date


def test_a_young_person_who_asked_themselves_is_told_you() -> None:
    them = personalisation(reference="R", link="L", young_person=True, details={})
    family = personalisation(reference="R", link="L", young_person=False, details={})
    _, plain, _ = email_parts(words("referral-waitlisted", "en"), them)
    assert "for you (reference R)" in plain
    assert "you are on the waiting list" in plain
    assert "your child" not in plain
    _, plain, _ = email_parts(words("referral-waitlisted", "en"), family)
    assert "your child is on the waiting list" in plain


def test_texts_carry_no_personal_placeholders_and_html_escapes_values() -> None:
    allowed = {"reference", "link", "who", "whose", "who_is", "received_on", "decision_due",
               "final_plan_due", "ehc_requested_on", "decided_on", "appeal_by", "due_on",
               "comments_due", "issued_on", "statutory_due_on", "days_left", "review_due",
               # codes, in words: the decision's reason, kinds of advice, the deadline
               "reason", "advice", "exception", "deadline",
               # whose limit a deadline is: the law's, the adviser's or the council's target
               "limit",
               # the kind of advice asked of an adviser, in words
               "advice_asked",
               # specialists' roles, in words (emails and letters only)
               "help", "role",
               # a held partner referral: why, and which details differ (names, never values)
               "held_reason", "differs",
               # the day of a child's first session with a specialist
               "session_on",
               # an annual review's days: the meeting, the next review
               "meeting_on", "held_on", "next_review_due",
               "amended_plan_due",
               # ceasing a plan: the day the family and the school are asked to reply by
               "views_by",
               # a re-assessment's days (Regs 24-27): its outcome due, and given
               "finalise_by", "concluded_on",
               # a phase transfer (Reg 18): the move in words, its year, the law's date
               "move", "transfer_year", "law_due",
               # the step others are told of (Regs 4(2), 5(2), 10(2), 13(2)), in words
               "told",
               # which limit of an annual review a warning is about, in words
               "review_limit"}  # fmt: skip
    for template in TEXTS["en"]:
        assert fields_of(template) <= allowed, template
    fields = personalisation(reference="<b>", link="https://x/?a=1&b=2", young_person=False,
                             details={})  # fmt: skip
    _, _, page = email_parts(words("specialist-assigned", "en"), fields)
    assert "<b>" not in page
    assert "&lt;b&gt;" in page
    assert 'href="https://x/?a=1&amp;b=2"' in page


def test_notify_templates_use_notifys_placeholders() -> None:
    assert as_notify("ref {reference}: {link}") == "ref ((reference)): ((link))"


def test_a_language_without_the_message_falls_back_to_english() -> None:
    assert words("specialist-assigned", "cy") == words("specialist-assigned", "en")


def test_preferred_channel_first_then_the_councils_order_where_the_family_can_be_reached() -> None:
    assert channel_plan(FAMILY, POLICY) == ["sms", "email"]  # no postal address: no letter
    email_only = Policy(providers={"email": "smtp"})
    assert channel_plan(FAMILY, email_only) == ["email"]
    lettered = Reach(address_lines=("1 High St", "Leeds", "LS6 2AB"), preferred="email")
    assert channel_plan(lettered, POLICY) == ["letter"]


def test_quiet_hours_hold_texts_until_eight_in_the_morning_london_time() -> None:
    late = datetime(2026, 7, 1, 21, 30, tzinfo=UTC)  # 22:30 BST
    assert quiet_until(late, POLICY, "sms") == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    early = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)  # 06:00 GMT
    assert quiet_until(early, POLICY, "sms") == datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
    assert quiet_until(NOON, POLICY, "sms") is None
    assert quiet_until(late, POLICY, "email") is None  # email may arrive at night
    decision = next_step(_alert(), FAMILY, POLICY, [], late)
    assert decision == Hold(datetime(2026, 7, 2, 7, 0, tzinfo=UTC), "quiet-hours")


def test_a_message_goes_by_the_next_channel_after_a_failure_and_gives_up_when_none_is_left() -> (
    None
):
    first = next_step(_alert(), FAMILY, POLICY, [], NOON)
    assert first == Send("sms", "notify", NOON + timedelta(hours=24))
    second = next_step(_alert(), FAMILY, POLICY, [Tried("sms", "permanent-failure")], NOON)
    assert second == Send("email", "notify", None)  # the last channel: nothing to fall back to
    waiting = next_step(
        _alert(), FAMILY, POLICY, [Tried("sms", "sent"), Tried("email", "sent")], NOON
    )
    assert waiting == Wait()
    tried = [Tried("sms", "permanent-failure"), Tried("email", "temporary-failure")]
    assert next_step(_alert(), FAMILY, POLICY, tried, NOON) == GiveUp(
        "temporary-failure", ("sms", "email")
    )
    assert next_step(_alert(), Reach(), POLICY, [], NOON) == GiveUp("permanent-failure", ())


def test_a_family_who_opted_out_still_gets_statutory_messages() -> None:
    opted_out = Reach(email="a@example.org", preferred="email", statutory_only=True)
    assert isinstance(next_step(_alert(), opted_out, POLICY, [], NOON), Withhold)
    statutory = _alert(statutory=True)
    assert isinstance(next_step(statutory, opted_out, POLICY, [], NOON), Send)


def test_a_message_the_council_chooses_goes_only_where_it_chose_it() -> None:
    event = sample_event(DeadlineAtRisk, uuid4())
    alerts = alerts_for(event, CATALOGUE[DeadlineAtRisk], event_id=uuid4(), local_authority="E1")
    [alert] = [a for a in alerts if a.audience is Audience.FAMILY]
    assert alert.template == "deadline-at-risk-family"
    assert KINDS[alert.template].council_chooses
    assert not alert.statutory  # a family who opted out of other messages is spared it
    reach = Reach(email="a@example.org")
    assert isinstance(next_step(alert, reach, CouncilMessaging().policy(), [], NOON), Withhold)
    chosen = CouncilMessaging(optional_messages=frozenset({alert.template})).policy()
    assert isinstance(next_step(alert, reach, chosen, [], NOON), Send)
    opted_out = Reach(email="a@example.org", statutory_only=True)
    assert isinstance(next_step(alert, opted_out, chosen, [], NOON), Withhold)


def test_caseworker_messages_ignore_the_familys_opt_out() -> None:
    alert = _alert(audience=Audience.CASEWORKER)
    team = Reach(email="send@council.example", preferred="email", statutory_only=True)
    assert isinstance(next_step(alert, team, POLICY, [], NOON), Send)


def test_a_caseworker_message_says_so_on_its_events_so_no_one_reads_it_as_the_familys() -> None:
    team, family = _alert("deadline-at-risk", audience=Audience.CASEWORKER), _alert()
    for alert, audience in ((team, "caseworker"), (family, "family")):
        assert sent(alert, "email").audience == audience
        assert delivered(alert, "email", NOON).audience == audience
        assert failed(alert, GiveUp("permanent-failure", ("email",))).audience == audience


def test_a_council_using_notify_must_give_a_key_and_every_template_id() -> None:
    with pytest.raises(ValidationError, match="notify_api_key"):
        CouncilMessaging(email="notify")
    templates = {"en": {"email": {"request-received": uuid4()}}}
    with pytest.raises(ValidationError, match="email/specialist-assigned"):
        CouncilMessaging(email="notify", sms=None, notify_api_key="k", notify_templates=templates)
    with pytest.raises(ValidationError, match="smtp"):
        CouncilMessaging(email="smtp")
    council = CouncilMessaging(quiet_hours=(time(22), time(7)), fallback_after_s=60)
    assert council.policy().fallback_after == timedelta(minutes=1)


def test_a_family_may_choose_the_languages_the_council_has_words_in() -> None:
    assert CouncilMessaging().languages() == {"en"}  # the log channel: the project's words
    ids = {
        "en": {"email": {m: uuid4() for m in KINDS}},
        "cy": {"email": {"assessment-agreed": uuid4()}},
    }
    welsh = CouncilMessaging(email="notify", sms=None, notify_api_key="k", notify_templates=ids)
    assert welsh.languages() == {"en", "cy"}
    assert welsh.language_for("cy", "email", "assessment-agreed") == "cy"
    assert welsh.language_for("cy", "email", "request-received") == "en"  # no Welsh template
    assert CouncilMessaging().language_for("cy", "email", "assessment-agreed") == "en"


def test_messages_to_the_send_team_need_an_email_template_only() -> None:
    team = {m for m, kind in KINDS.items() if kind.audience is not Audience.FAMILY}
    assert {"deadline-at-risk", "service-gap", "plan-comments-received"} <= team
    assert KINDS["child-allocated-to-team"].audience is Audience.TEAM
    family = {m for m in KINDS if m not in team and not KINDS[m].council_chooses}
    ids = {"email": {m: uuid4() for m in KINDS}, "sms": {m: uuid4() for m in family}}
    council = CouncilMessaging(
        email="notify", sms="notify", notify_api_key="k", notify_templates={"en": ids}
    )
    assert council.languages() == {"en"}
    without = {**ids, "sms": {m: i for m, i in ids["sms"].items() if m != "request-received"}}
    with pytest.raises(ValidationError, match="sms/request-received") as refused:
        CouncilMessaging(
            email="notify", sms="notify", notify_api_key="k", notify_templates={"en": without}
        )
    assert not any(f"sms/{m}" in str(refused.value) for m in team)
    # The templates docs/messages.md says to create: every message the validator asks for, by
    # channel.
    listed = template_list()
    assert all(f"## {m} / sms (to the family; required)" in listed for m in family)
    assert "## deadline-at-risk / email (to the SEND team; required)" in listed
    assert "## advice-asked / email (to an adviser; required)" in listed
    assert not any(f"## {m} / sms" in listed for m in team)


def test_received_dates_are_iso_in_the_row_and_long_in_the_words() -> None:
    event = sample_event(next(iter(CATALOGUE)), uuid4())
    [alert] = alerts_for(event, CATALOGUE[type(event)], event_id=uuid4(), local_authority="E1")
    assert alert.details["received_on"] == date(2026, 1, 5).isoformat()


@pytest.mark.parametrize(
    ("reason", "differs", "said"),
    [
        ("already-referred", [], "Details that differ: none."),
        ("child-details-differ", ["child.name", "child.date_of_birth"], "the name and the date"),
    ],
)
def test_a_held_partner_referral_tells_the_send_team_which_details_differ_never_the_values(
    reason: str, differs: list[str], said: str
) -> None:
    event = sample_event(PartnerReferralHeld, uuid4()).model_copy(
        update={"reason": reason, "differs": differs}
    )
    (alert,) = alerts_for(event, CATALOGUE[PartnerReferralHeld], event_id=uuid4(),
                          local_authority="E1")  # fmt: skip
    assert alert.audience is Audience.CASEWORKER  # the team's, never the family's
    fields = personalisation(
        reference="AB12CD34", link="https://x/r", young_person=False, details=alert.details
    )
    _, plain, _ = email_parts(words(alert.template, "en"), fields)
    assert said in plain
    assert "GET /v1/held-referrals" in plain


def test_a_young_persons_representative_is_told_of_the_young_person() -> None:
    """s80: the representative of a young person who lacks mental capacity gets the messages,
    which speak of the young person, not to them (nor of "your child")."""
    them = personalisation(
        reference="R", link="L", young_person=True, details={}, representative=True
    )
    _, plain, _ = email_parts(words("referral-waitlisted", "en"), them)
    assert "for the young person (reference R)" in plain
    assert "the young person is on the waiting list" in plain
    assert "your child" not in plain
    assert "you are on" not in plain


def test_every_message_giving_an_appeal_date_gives_the_mediation_certificates_rule() -> None:
    """The time to appeal is 2 months from the notice or 1 month from the mediation
    certificate, whichever is later: an email, letter or text with the one date and not the
    other rule would tell a family they have less time than the law gives them."""
    for kind, text in TEXTS["en"].items():
        for part in (text.body, text.sms):
            if "{appeal_by}" in part:
                assert "mediation certificate" in part, kind
