"""Outside development (SEND_ENVIRONMENT=development, which only `make run`, the tests and the
bench set) a service refuses to start with a development default, a short or published
family-link key, a non-HTTPS identity provider or link, or a published database password,
naming each setting at fault; with every setting made for it, it starts. Production is the
default."""

from __future__ import annotations

from typing import Any

import pytest
from notifications.config import NotificationsSettings
from plans.config import PlansSettings
from pydantic import ValidationError
from referrals.config import ReferralsSettings
from specialists.config import SpecialistsSettings
from web.config import DEVELOPMENT_SESSION_KEY, WebSettings

from devtools.local_notify import development_messaging
from shared.environment import DEVELOPMENT_FAMILY_LINK_KEY
from shared.settings import ServiceSettings

KEY = "x7Q2v9LmP4sR8tY1wZ6kB3nD5fH0jC2e"  # 32 bytes, a key of this test's
COMMON: dict[str, Any] = {
    "send_environment": "production",
    "oidc_issuer": "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    "oidc_audience": "api://send-platform-westyorks",
    "partner_councils": {"leeds-community-paediatrics": ["E08000035"]},
    "family_link_key": KEY,
    "public_docs": False,
}
SMTP_ONLY = {"*": {"email": "smtp", "sms": None, "smtp": {
    "host": "smtp.leeds.example.gov.uk", "sender": "send@leeds.example.gov.uk"}}}  # fmt: skip
NOTICES = {
    "name": "Leeds City Council",
    **{k: {"name": k, "phone": "0113 000 0000"}
       for k in ("send_team", "mediation_adviser", "disagreement_resolution", "sendiass")},
    "local_offer": "https://localoffer.leeds.example.gov.uk/",
}  # fmt: skip
MADE_FOR_IT: dict[type[ServiceSettings], dict[str, Any]] = {
    ReferralsSettings: {
        "database_url": "postgresql://referrals_app:from-the-vault@db.internal/referrals",
        "councils": ["E08000035", "E08000032"],
        "family_plan_url": "https://plans.send.example.gov.uk/v1/family/{token}/plan",
        "referral_link": "https://casework.example.gov.uk/referrals/{referral_id}",
        "council_notices": {"*": NOTICES},
    },
    PlansSettings: {
        "database_url": "postgresql://plans_app:from-the-vault@db.internal/plans",
        "council_contacts": {"E08000035": {"name": "Leeds City Council"}},
    },
    SpecialistsSettings: {
        "database_url": "postgresql://specialists_app:from-the-vault@db.internal/specialists",
    },
    NotificationsSettings: {
        "database_url": "postgresql://notifications_app:from-the-vault@db.internal/notify",
        "council_messaging": SMTP_ONLY,
        "family_view_url": "https://www.leeds.example.gov.uk/send/family/{token}",
        "caseworker_view_url": "https://casework.example.gov.uk/referrals/{referral_id}",
        "team_caseload_url": "https://casework.example.gov.uk/practitioner",
        "adviser_view_url": "https://www.leeds.example.gov.uk/send/advisers/{token}",
        "request_confirm_url": "https://www.leeds.example.gov.uk/send/family/confirm/{token}",
    },
    WebSettings: {
        "database_url": "postgresql://web_app:from-the-vault@db.internal/web",
        **{
            f"{s}_url": f"http://send-{s}.send.svc"
            for s in ("referrals", "plans", "specialists", "notifications")
        },
        "public_url": "https://send.leeds.example.gov.uk",
        "oidc_client_id": "11111111-aaaa-bbbb-cccc-222222222222",
        "oidc_client_secret": "from-the-vault",
        "session_keys": f"{KEY},{KEY[::-1]}",
        "council_contacts": {"E08000035": {"name": "Leeds City Council"}},
    },
}
NO_FAMILY_LINKS = (SpecialistsSettings, WebSettings)  # given no FAMILY_LINK_KEY


def settings(kind: type[ServiceSettings], **changes: Any) -> ServiceSettings:
    """``kind`` with every setting made for production, then ``changes`` (None: left unset)."""
    values = {**COMMON, **MADE_FOR_IT[kind], **changes}
    if kind in NO_FAMILY_LINKS:
        values.pop("family_link_key")
    if kind is WebSettings:
        values.pop("public_docs")  # it serves no API docs
    return kind(**{k: v for k, v in values.items() if v is not None})


def refused(kind: type[ServiceSettings], **changes: Any) -> str:
    with pytest.raises(ValidationError) as error:
        settings(kind, **changes)
    return str(error.value)


@pytest.mark.parametrize("kind", MADE_FOR_IT, ids=lambda k: k.__name__)
def test_a_service_starts_in_production_with_every_setting_made_for_it(
    kind: type[ServiceSettings],
) -> None:
    assert settings(kind).send_environment == "production"


@pytest.mark.parametrize("kind", MADE_FOR_IT, ids=lambda k: k.__name__)
def test_production_is_the_default_and_refuses_the_development_defaults(
    kind: type[ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SEND_ENVIRONMENT")
    with pytest.raises(ValidationError) as error:
        kind()
    for variable in ("OIDC_ISSUER", "OIDC_AUDIENCE", "PARTNER_COUNCILS",
                     kind.service.database_url_variable):  # fmt: skip
        assert variable in str(error.value)
    assert ("FAMILY_LINK_KEY" in str(error.value)) is (kind not in NO_FAMILY_LINKS)
    assert ("PUBLIC_DOCS" in str(error.value)) is (kind is not WebSettings)


@pytest.mark.parametrize("kind", MADE_FOR_IT, ids=lambda k: k.__name__)
def test_development_mode_starts_with_the_development_defaults(
    kind: type[ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEND_ENVIRONMENT", "development")
    assert kind().family_link_key.get_secret_value() == DEVELOPMENT_FAMILY_LINK_KEY
    assert kind().send_environment == "development"


UNSET = None


@pytest.mark.parametrize(
    ("kind", "changes", "named"),
    [
        (SpecialistsSettings, {"oidc_issuer": UNSET}, "OIDC_ISSUER is left at its development"),
        (SpecialistsSettings, {"oidc_audience": UNSET}, "OIDC_AUDIENCE is left at"),
        (ReferralsSettings, {"partner_councils": UNSET}, "PARTNER_COUNCILS is left at"),
        (PlansSettings, {"public_docs": UNSET}, "PUBLIC_DOCS is left at"),
        (PlansSettings, {"family_link_key": UNSET}, "FAMILY_LINK_KEY is left at"),
        (NotificationsSettings, {"family_link_key": DEVELOPMENT_FAMILY_LINK_KEY},
         "FAMILY_LINK_KEY is the development key published"),
        (ReferralsSettings, {"family_link_key": KEY[:31]}, "FAMILY_LINK_KEY is shorter than 32"),
        (PlansSettings, {"family_link_key": "é" * 15}, "FAMILY_LINK_KEY is shorter than 32"),
        (SpecialistsSettings, {"oidc_issuer": "http://login.example.gov.uk"},
         "OIDC_ISSUER is not an https:// URL"),
        (ReferralsSettings, {"oidc_jwks_url": "http://login.example.gov.uk/keys"},
         "OIDC_JWKS_URL is not an https:// URL"),
        (SpecialistsSettings, {"database_url": UNSET}, "SPECIALISTS_DATABASE_URL logs in"),
        (ReferralsSettings,
         {"database_url": "postgresql://send_app:send_app@db.internal:5432/referrals"},
         "REFERRALS_DATABASE_URL logs in with a local role's published password"),
        (PlansSettings, {"database_url": "postgresql://send:send@db.internal/plans"},
         "PLANS_DATABASE_URL logs in"),
        (ReferralsSettings, {"councils": UNSET}, "COUNCILS is left at its development default"),
        (ReferralsSettings, {"accept_test_nhs_numbers": True}, "ACCEPT_TEST_NHS_NUMBERS is on"),
        (ReferralsSettings, {"family_plan_url": UNSET}, "FAMILY_PLAN_URL is left at"),
        (ReferralsSettings, {"family_plan_url": "http://plans.example.gov.uk/v1/family/{token}"},
         "FAMILY_PLAN_URL is not an https:// URL"),
        (ReferralsSettings, {"referral_link": UNSET}, "REFERRAL_LINK is left at"),
        (ReferralsSettings, {"council_notices": UNSET}, "COUNCIL_NOTICES is left at"),
        (ReferralsSettings, {"council_notices": {"E08000035": NOTICES}},
         "COUNCIL_NOTICES has no entry for E08000032"),
        (PlansSettings, {"council_contacts": UNSET}, "COUNCIL_CONTACTS is left at"),
        (NotificationsSettings, {"council_messaging": UNSET}, "COUNCIL_MESSAGING is left at"),
        (NotificationsSettings, {"council_messaging": {"E08000035": {"sms": None}}},
         "COUNCIL_MESSAGING: E08000035 sends email to the log channel"),
        (NotificationsSettings,  # make run's local Notify
         {"council_messaging": {"*": development_messaging("http://127.0.0.1:8010", "t" * 12)}},
         "COUNCIL_MESSAGING: *'s notify_base_url is not an https:// URL"),
        (NotificationsSettings, {"family_view_url": UNSET}, "FAMILY_VIEW_URL is left at"),
        (NotificationsSettings, {"family_view_url": "http://www.example.gov.uk/f/{token}"},
         "FAMILY_VIEW_URL is not an https:// URL"),
        (NotificationsSettings, {"request_confirm_url": UNSET}, "REQUEST_CONFIRM_URL is left"),
        (NotificationsSettings, {"request_confirm_url": "http://x.example/c/{token}"},
         "REQUEST_CONFIRM_URL is not an https:// URL"),
        (NotificationsSettings, {"caseworker_view_url": UNSET}, "CASEWORKER_VIEW_URL is left"),
        (NotificationsSettings, {"team_caseload_url": UNSET}, "TEAM_CASELOAD_URL is left"),
        (WebSettings, {"referrals_url": UNSET}, "REFERRALS_URL is left at"),
        (WebSettings, {"public_url": UNSET}, "PUBLIC_URL is left at"),
        (WebSettings, {"public_url": "http://send.leeds.example.gov.uk"},
         "PUBLIC_URL is not an https:// URL"),
        (WebSettings, {"oidc_client_id": UNSET}, "OIDC_CLIENT_ID is left at"),
        (WebSettings, {"oidc_client_secret": UNSET}, "OIDC_CLIENT_SECRET is left at"),
        (WebSettings, {"oidc_client_secret": "dev-secret"},
         "OIDC_CLIENT_SECRET is the development provider's"),
        (WebSettings, {"session_keys": UNSET}, "SESSION_KEYS is left at"),
        (WebSettings, {"session_keys": f"{KEY},{DEVELOPMENT_SESSION_KEY}"},
         "SESSION_KEYS holds the development key"),
        (WebSettings, {"session_keys": f"{KEY},short"}, "SESSION_KEYS holds a key shorter"),
        (WebSettings, {"council_contacts": UNSET}, "COUNCIL_CONTACTS is left at"),
    ],
)  # fmt: skip
def test_each_unsafe_setting_is_refused_by_name(
    kind: type[ServiceSettings], changes: dict[str, Any], named: str
) -> None:
    assert named in refused(kind, **changes)


def test_every_unsafe_setting_is_named_at_once_and_no_value_is_echoed() -> None:
    message = refused(
        ReferralsSettings,
        family_link_key="short-secret",
        database_url="postgresql://send_app:send_app@db.internal/referrals",
        councils=UNSET,
    )
    for named in ("FAMILY_LINK_KEY", "REFERRALS_DATABASE_URL", "COUNCILS"):
        assert named in message
    assert "short-secret" not in message
    assert "send_app:send_app" not in message


def test_an_environment_that_is_neither_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEND_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError) as error:
        SpecialistsSettings()
    assert "SEND_ENVIRONMENT" in str(error.value)
