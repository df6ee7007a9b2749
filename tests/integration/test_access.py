"""Who may call what: every route of every service walked without a token and with the wrong
role, and a table of hostile tokens, against the development identity provider over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from pydantic import SecretStr

from devtools.dev_identity import DEFAULT_AUDIENCE, fetch_client_token, jwk_thumbprint, public_jwk
from devtools.dev_identity_seed import DEV_CLIENT_SECRET
from scripts.platform import IdentityProvider
from shared.family_links import mint
from shared.services import EVENT_SERVICES as SERVICES  # the APIs; the workspace: tests/web

USERS = ("leeds-caseworker", "leeds-manager", "leeds-auditor", "leeds-slt", "leeds-senco")
ROLE_OF_USER = {"leeds-slt": "specialist", "leeds-senco": "school"}
"""People outside the council (the seed's practitioner and SENCo), by their role."""


@pytest.fixture(scope="module")
async def tokens(identity: IdentityProvider) -> dict[str, str]:
    from devtools.dev_identity import fetch_token

    found = {user: await fetch_token(identity.issuer, user) for user in USERS}
    found["partner"] = await fetch_client_token(
        identity.issuer, "leeds-community-paediatrics", DEV_CLIENT_SECRET
    )
    return found


@pytest.fixture
def apps(identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch) -> dict[str, FastAPI]:
    """Each service's application, pointed at the test issuer (no database needed: access is
    decided before a route touches it)."""
    for name, value in identity.service_env().items():
        monkeypatch.setenv(name, value)
    # Every route of a service is walked by each role from one client: more changes a minute
    # than the default per-client limit allows (the limit has its own tests).
    monkeypatch.setenv("RATE_LIMIT_POST", "100000/minute")
    return {s: importlib.import_module(f"{s}.app").create_app() for s in SERVICES}


@pytest.fixture
async def clients(apps: dict[str, FastAPI]) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    opened = {
        s: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        for s, app in apps.items()
    }
    yield opened
    for client in opened.values():
        await client.aclose()


# Who may call what: the specification the walk holds the code to. A route missing here, or
# answering other roles than these, fails the walk.
ACCESS: dict[tuple[str, str, str], set[str]] = {
    # NHS partners' triage (#23)
    ("referrals", "GET", "/v1/referrals/{referral_id}/triage"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/need"): {"caseworker", "manager"},
    # Live plans (#22): the import, annual reviews and amendments
    ("referrals", "POST", "/v1/live-plans/import"): {"manager"},
    ("referrals", "POST", "/v1/live-plans/open-requests/import"): {"manager"},
    ("referrals", "POST", "/v1/live-plans/open-requests/reannounce"): {"manager"},
    ("referrals", "GET", "/v1/referrals/{referral_id}/annual-reviews"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/caseload/phase-transfers"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/phase-transfer"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/meeting"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/invitations"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/meeting-held"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/report"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/decision"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/amendments/proposals"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/annual-review/amendments/final"): {
        "caseworker",
        "manager",
    },
    # Ceasing a plan (#22: s45, Regs 29-31)
    ("referrals", "GET", "/v1/referrals/{referral_id}/ceasing"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/proposal"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/consultation"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/decision"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/mediation"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/appeal"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/ceasing/appeal-outcome"): {
        "caseworker",
        "manager",
    },
    # Transfers in (Reg 15) and re-assessments (Regs 24-27)
    ("referrals", "POST", "/v1/live-plans/transfers-in"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/referrals/{referral_id}/transfer-in"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/transfer-in/decision"): {
        "caseworker",
        "manager",
    },
    ("referrals", "GET", "/v1/referrals/{referral_id}/reassessments"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/reassessment/request"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/reassessment/decision"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/reassessment/outcome"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/reassessment/advice-requests"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals/{referral_id}/reassessment/advice-received"): {
        "caseworker",
        "manager",
    },
    # The EHC plan from the assessment (#21)
    ("plans", "POST", "/v1/referrals/{referral_id}/plan/lines/{line_id}/confirm"): {
        "caseworker",
        "manager",
    },
    ("plans", "POST", "/v1/referrals/{referral_id}/plan/lines/{line_id}/health-agreement"): {
        "caseworker",
        "manager",
    },
    ("referrals", "POST", "/v1/referrals"): {"caseworker", "manager", "partner", "school"},
    ("referrals", "GET", "/v1/school/pupils"): {"school"},
    ("referrals", "GET", "/v1/school/pupils/{referral_id}"): {"school"},
    ("referrals", "GET", "/v1/school/pupils/{referral_id}/documents"): {"school"},
    ("referrals", "POST", "/v1/school/pupils/{referral_id}/documents"): {"school"},
    ("referrals", "GET", "/v1/school/pupils/{referral_id}/documents/{document_id}"): {"school"},
    ("referrals", "GET", "/v1/school/consultations"): {"school"},
    ("referrals", "POST", "/v1/school/consultations/{consultation_id}/answer"): {"school"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/school-consultations"): {
        "caseworker",
        "manager",
    },
    ("referrals", "GET", "/v1/referrals/{referral_id}/school-consultations"): {
        "caseworker",
        "manager",
    },
    ("referrals", "GET", "/v1/referrals/{referral_id}"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/family-link/revoke"): {
        "caseworker",
        "manager",
    },
    ("referrals", "GET", "/v1/family/{token}"): {"family link"},
    ("referrals", "GET", "/v1/family/{token}/letters/{document_id}"): {"family link"},
    ("referrals", "GET", "/v1/family/{token}/documents"): {"family link"},
    ("referrals", "GET", "/v1/family/{token}/documents/{document_id}"): {"family link"},
    ("referrals", "GET", "/v1/advisers/{token}"): {"adviser link"},
    ("referrals", "POST", "/v1/advisers/{token}/advice"): {"adviser link"},
    ("referrals", "GET", "/v1/referrals"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/search"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/referrals/{referral_id}/child"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/referrals/{referral_id}/documents"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/documents"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/referrals/{referral_id}/documents/{document_id}"): {
        "caseworker",
        "manager",
    },
    ("referrals", "GET", "/v1/reports/timeliness"): {"manager"},
    ("referrals", "GET", "/v1/reports/sen2"): {"manager"},
    ("referrals", "PUT", "/v1/referrals/{referral_id}/child/upn"): {"caseworker", "manager"},
    ("referrals", "GET", "/v1/held-referrals"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/held-referrals/{held_id}/decision"): {"caseworker", "manager"},
    **{
        ("referrals", "POST", f"/v1/referrals/{{referral_id}}/{step}"): {"caseworker", "manager"}
        for step in (
            "escalate",
            "assessment-suggestion",
            "assessment-decision",
            "advice-requests",
            "advice-requests/{kind}/received",
            "advice-requests/{kind}/excused",
            "existing-advice",
            "family-advice-asks",
            "plan-decision",
            "draft-plan",
            "final-plan",
            "exceptions",
            "mediation",
        )
    },
    ("plans", "GET", "/v1/school/pupils/{referral_id}/plan"): {"school"},
    ("plans", "GET", "/v1/referrals/{referral_id}/plan"): {"caseworker", "manager"},
    ("plans", "GET", "/v1/standards"): {"caseworker", "manager"},
    ("plans", "GET", "/v1/standards/coverage"): {"caseworker", "manager"},
    ("plans", "GET", "/v1/referrals/{referral_id}/plan.pdf"): {"caseworker", "manager"},
    ("plans", "GET", "/v1/family/{token}/plan"): {"family link"},
    ("plans", "GET", "/v1/family/{token}/plan.pdf"): {"family link"},
    ("plans", "GET", "/v1/referrals/{referral_id}/plan/versions"): {"caseworker", "manager"},
    ("plans", "GET", "/v1/referrals/{referral_id}/plan/versions/{version}"): {
        "caseworker",
        "manager",
    },
    ("plans", "PUT", "/v1/referrals/{referral_id}/plan/sections/{key}"): {
        "caseworker",
        "manager",
    },
    **{
        ("plans", "POST", f"/v1/referrals/{{referral_id}}/plan/{step}"): {"caseworker", "manager"}
        for step in ("share", "response", "issue", "finalise", "reviewed")
    },
    ("plans", "POST", "/v1/family/{token}/plan/comments"): {"family link"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/close"): {"caseworker", "manager"},
    # The public form's (no account; limited per address) and the caseworkers' side of it.
    ("referrals", "POST", "/v1/public/requests"): {"anyone"},
    ("referrals", "POST", "/v1/public/requests/confirm"): {"anyone"},
    ("referrals", "POST", "/v1/public/evidence"): {"anyone"},
    ("referrals", "GET", "/v1/public-requests"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/public-requests/{request_id}/confirm"): {"caseworker", "manager"},
    ("referrals", "POST", "/v1/referrals/{referral_id}/representative"): {"caseworker", "manager"},
    ("specialists", "GET", "/v1/referrals/{referral_id}/allocation"): {"caseworker", "manager"},
    ("specialists", "GET", "/v1/referrals/{referral_id}/allocations"): {"caseworker", "manager"},
    ("specialists", "POST", "/v1/allocations/{allocation_id}/end"): {"caseworker", "manager"},
    ("specialists", "GET", "/v1/caseload"): {"specialist"},
    ("specialists", "GET", "/v1/caseload/{allocation_id}"): {"specialist"},
    **{
        ("specialists", "POST", f"/v1/caseload/{{allocation_id}}/{step}"): {"specialist"}
        for step in ("accept", "first-session", "sessions", "end")
    },
    ("specialists", "GET", "/v1/registry"): {"caseworker", "manager"},
    ("specialists", "GET", "/v1/registry/export"): {"caseworker", "manager"},
    ("specialists", "GET", "/v1/registry/{entry_id}"): {"caseworker", "manager"},
    ("specialists", "POST", "/v1/registry"): {"manager"},
    ("specialists", "PUT", "/v1/registry/{entry_id}"): {"manager"},
    ("specialists", "POST", "/v1/registry/{entry_id}/retire"): {"manager"},
    ("specialists", "POST", "/v1/registry/import"): {"manager"},
    ("specialists", "GET", "/v1/registry/awaiting-agreement"): {"manager"},
    ("specialists", "POST", "/v1/registry/{entry_id}/agreements"): {"manager"},
    ("specialists", "DELETE", "/v1/registry/{entry_id}/agreements/{local_authority}"): {"manager"},
    ("specialists", "GET", "/v1/reports/capacity"): {"manager"},
    ("notifications", "GET", "/v1/referrals/{referral_id}/notifications"): {
        "caseworker",
        "manager",
    },
    ("notifications", "GET", "/v1/referrals/{referral_id}/contact"): {"caseworker", "manager"},
    ("notifications", "GET", "/v1/referrals/{referral_id}/preferences"): {
        "caseworker",
        "manager",
    },
    ("notifications", "PUT", "/v1/referrals/{referral_id}/preferences"): {
        "caseworker",
        "manager",
    },
    # GOV.UK Notify's delivery receipts: its callback token, no staff token.
    ("notifications", "POST", "/v1/notify/receipts"): {"notify callback"},
    **{(s, "GET", "/v1/audit"): {"auditor"} for s in SERVICES},
}


def _path(path: str) -> str:
    return (
        path.replace("{referral_id}", str(uuid4()))
        .replace("{token}", "x" * 40)
        .replace("{kind}", "medical")
        .replace("{allocation_id}", str(uuid4()))
        .replace("{consultation_id}", str(uuid4()))
        .replace("{document_id}", str(uuid4()))
        .replace("{entry_id}", str(uuid4()))
        .replace("{local_authority}", "E08000035")
        .replace("{request_id}", str(uuid4()))
    )


def _role_of(user: str) -> str:
    if user == "partner":
        return "partner"
    return ROLE_OF_USER.get(user) or user.split("-")[1]


async def test_every_route_of_every_service_answers_only_the_roles_it_declares(
    apps: dict[str, FastAPI], clients: dict[str, httpx.AsyncClient], tokens: dict[str, str]
) -> None:
    found: set[tuple[str, str, str]] = set()
    for service, app in apps.items():
        for path, operations in app.openapi()["paths"].items():
            if path.startswith("/health/"):
                continue  # open on purpose: probes (see the next test)
            for method in operations:
                route = (service, method.upper(), path)
                found.add(route)
                assert route in ACCESS, f"{route} is not in the access table"
                anonymous = await clients[service].request(route[1], _path(path), json={})
                open_to_anyone = ACCESS[route] == {"anyone"}
                assert (anonymous.status_code == 401) != open_to_anyone, route
                assert "detail" in anonymous.json()
                answered = set()
                for user, token in tokens.items():
                    response = await clients[service].request(
                        route[1],
                        _path(path),
                        json={},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.status_code != 500, (route, user, response.text)
                    if response.status_code not in (401, 403):
                        answered.add(_role_of(user))
                expected = ACCESS[route] - {
                    "family link",
                    "adviser link",
                    "notify callback",
                    "anyone",
                }
                if open_to_anyone:  # a token changes nothing: every role is answered
                    expected = {_role_of(user) for user in tokens}
                assert answered == expected, (route, answered)
    assert found == set(ACCESS), set(ACCESS) - found


async def test_operations_routes_stay_open_and_docs_can_be_turned_off(
    identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in identity.service_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PUBLIC_DOCS", "false")
    app = importlib.import_module("plans.app").create_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
        for hidden in ("/docs", "/openapi.json", "/asyncapi", "/asyncapi.json"):
            assert (await client.get(hidden)).status_code == 404, hidden


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(identity: IdentityProvider, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": identity.issuer,
        "aud": DEFAULT_AUDIENCE,
        "sub": "leeds-caseworker",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid4().hex,
        "roles": ["caseworker"],
        "local_authorities": ["E08000035"],
        **changes,
    }


def _forger(identity: IdentityProvider) -> Callable[..., str]:
    """Signs tokens with the issuer's own key (as a stolen-key or clock-skew case would)."""
    assert identity.key_file is not None
    pem = identity.key_file.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    kid = jwk_thumbprint(public_jwk(key.public_key()))

    def forge(**changes: Any) -> str:
        return jwt.encode(_claims(identity, **changes), key, "RS256", headers={"kid": kid})

    return forge


def _hostile_tokens(identity: IdentityProvider, valid: str) -> dict[str, str]:
    forge = _forger(identity)
    assert identity.key_file is not None
    key = serialization.load_pem_private_key(identity.key_file.read_bytes(), password=None)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header, payload, signature = valid.split(".")
    kid = jwt.get_unverified_header(valid)["kid"]
    hs_header = _b64(
        json.dumps(
            {"alg": "HS256", "typ": "JWT", "kid": jwt.get_unverified_header(valid)["kid"]}
        ).encode()
    )
    hs_body = f"{hs_header}.{payload}"
    hs_signature = _b64(hmac.new(public_pem, hs_body.encode(), hashlib.sha256).digest())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered = _b64(
        json.dumps({**claims, "roles": ["manager"], "local_authorities": ["E08000032"]}).encode()
    )
    family = mint(
        SecretStr("development-only-family-link-key-change-me"),
        referral_id=uuid4(),
        local_authority="E08000035",
        valid_for=timedelta(days=1),
    )
    now = int(time.time())
    return {
        "expired": forge(exp=now - 120, iat=now - 720, nbf=now - 720),
        "not yet valid": forge(nbf=now + 600, iat=now + 600),
        "wrong audience": forge(aud="another-service"),
        "wrong issuer": forge(iss="http://127.0.0.1:1/impostor"),
        "no expiry": jwt.encode(
            {k: v for k, v in _claims(identity).items() if k != "exp"},
            key,  # type: ignore[arg-type]
            "RS256",
            headers={"kid": kid},
        ),
        "alg none": jwt.encode(_claims(identity), None, "none"),  # type: ignore[arg-type]
        "HS256 with the public key": f"{hs_body}.{hs_signature}",
        "unknown kid": jwt.encode(_claims(identity), other_key, "RS256", headers={"kid": "x1"}),
        "signed by another key": jwt.encode(
            _claims(identity),
            other_key,
            "RS256",
            headers={"kid": jwt.get_unverified_header(valid)["kid"]},
        ),
        "tampered payload": f"{header}.{tampered}.{signature}",
        "family link as staff token": family,
        "not a JWT": "not-a-jwt",
    }


async def test_hostile_tokens_are_refused_with_401_and_json_never_500(
    identity: IdentityProvider, clients: dict[str, httpx.AsyncClient], tokens: dict[str, str]
) -> None:
    client = clients["referrals"]
    path = f"/v1/referrals/{uuid4()}"
    for case, token in _hostile_tokens(identity, tokens["leeds-caseworker"]).items():
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (case, response.status_code, response.text)
        assert response.json()["detail"], case
        assert response.headers["www-authenticate"] == "Bearer", case
    wrong_scheme = await client.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert wrong_scheme.status_code == 401


async def test_a_token_without_an_allowed_role_is_forbidden_not_unauthorised(
    identity: IdentityProvider, clients: dict[str, httpx.AsyncClient]
) -> None:
    forge = _forger(identity)
    response = await clients["referrals"].get(
        f"/v1/referrals/{uuid4()}", headers={"Authorization": f"Bearer {forge(roles=[])}"}
    )
    assert response.status_code == 403
    assert "caseworker" in response.json()["detail"]


async def test_openapi_shows_the_sign_in_scheme_and_the_401_and_403_answers(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    spec = (await clients["referrals"].get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["council sign-in"]["scheme"] == "bearer"
    operation = spec["paths"]["/v1/referrals/{referral_id}"]["get"]
    assert operation["operationId"] == "get_referral"
    assert {"401", "403", "404", "503"} <= set(operation["responses"])
    assert operation["security"] == [{"council sign-in": []}]


_SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
_METHOD_PATH = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) (/\S*)$")
_WHO = {
    "caseworker": "caseworker",
    "manager": "manager",
    "auditor": "auditor",
    "partner": "partner",
    "specialist": "specialist",
    "school": "school",
    "family's link": "family link",
    "adviser's link": "adviser link",
    "callback token": "notify callback",
    "anyone": "anyone",
}


def _shape(path: str) -> str:
    """A route's path with its query dropped and every parameter the same (``{id}``)."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?", 1)[0])


def documented_access_table(text: str) -> dict[tuple[str, str, str], set[str]]:
    """The access table of docs/security.md (before its first ``##`` section) as ACCESS holds
    it, paths shaped by ``_shape``. A route cell lists `METHOD /path` spans; a span ending in
    ``/`` is followed by the tails it takes (`POST /v1/referrals/{id}/` `escalate`, `close`)."""
    section = text.split("\n## ", 1)[0]
    table: dict[tuple[str, str, str], set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("service", "---"):
            continue
        services = list(SERVICES) if cells[0] == "every service" else [cells[0]]
        who = {role for words, role in _WHO.items() if re.search(rf"\b{words}\b", cells[2])}
        method, base, routes = None, None, []
        for span in re.findall(r"`([^`]+)`", cells[1]):
            found = _METHOD_PATH.match(span)
            if found:
                method, path = found.groups()
                base = path if path.endswith("/") else None
                if base is None:
                    routes.append((method, path))
            elif method is not None and base is not None:
                routes.append((method, base + span))
        for service in services:
            for method, path in routes:
                route = (service, method, _shape(path))
                assert route not in table, (
                    f"{route} is twice in the access table of docs/security.md"
                )
                table[route] = who
    return table


def test_the_documented_access_table_is_the_access_table() -> None:
    """docs/security.md's table of who may call what says what the walk above holds the code to."""
    documented = documented_access_table(_SECURITY.read_text())
    specified = {(s, m, _shape(p)): roles for (s, m, p), roles in ACCESS.items()}
    assert len(specified) == len(ACCESS)  # shaping merges no two routes
    missing = set(specified) - set(documented)
    extra = set(documented) - set(specified)
    assert not missing, f"routes missing from docs/security.md's access table: {sorted(missing)}"
    assert not extra, (
        f"routes in docs/security.md's access table that do not exist: {sorted(extra)}"
    )
    differ = {r: (documented[r], specified[r]) for r in specified if documented[r] != specified[r]}
    assert not differ, f"docs/security.md (first) and ACCESS (second) disagree: {differ}"
