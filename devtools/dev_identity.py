"""A small OpenID Connect issuer of the project's own: FOR DEVELOPMENT AND TESTS ONLY.

`make run` and the tests need tokens that the services check exactly as they will check a
council's real identity provider's (discovery, then JWKS, then an RS256 signature with ``iss``,
``aud`` and ``exp``), with no container or outside account. This serves discovery, a JWKS and
a token endpoint for the seeded staff and partner systems of ``devtools.dev_identity_seed``.
Their passwords are published, so anyone can sign in as anyone: never point a service holding
real data at it. A deployment sets ``OIDC_ISSUER`` to the council's own provider instead.

    python -m devtools.dev_identity --port 8009 [--key-file .local/dev-identity/key.pem]

The pieces: this module (keys, the HTTP app, the command), ``devtools.dev_identity_grants``
(what the token endpoint accepts), ``devtools.dev_identity_seed`` (who can sign in) and
``devtools.dev_identity_client`` (``fetch_token``, ``fetch_client_token``; importable from here
too).

(Longer than most modules: the keys, the HTTP app and the command of one development tool; its
grants, seed and client are already modules of their own.)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from base64 import urlsafe_b64encode
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import uuid4

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jwt.algorithms import RSAAlgorithm

# Re-exported ("as"): tests and scripts reach the whole development issuer through this module.
from devtools.dev_identity_client import fetch_client_token as fetch_client_token
from devtools.dev_identity_client import fetch_client_token_sync as fetch_client_token_sync
from devtools.dev_identity_client import fetch_token as fetch_token
from devtools.dev_identity_client import fetch_token_sync as fetch_token_sync
from devtools.dev_identity_grants import DEFAULT_AUDIENCE as DEFAULT_AUDIENCE
from devtools.dev_identity_grants import GrantRefused, TokenRequest, form_of, read_request
from devtools.dev_identity_signin import (
    SESSION_COOKIE,
    WORKSPACE_CLIENT_ID,
    BrowserSignIn,
    redirect_with,
    sign_in_page,
    signed_out_page,
    workspace_client,
)
from shared.logs import configure_logging

DEFAULT_PORT = 8009
DEFAULT_ISSUER = f"http://127.0.0.1:{DEFAULT_PORT}"
ALGORITHM = "RS256"
WARNING = (
    "Development identity provider: for development and tests only. Its passwords are "
    "published, so anyone can sign in as anyone; never point a service holding real data at it."
)

logger = logging.getLogger("devtools.dev_identity")  # not __main__ under `python -m`


def load_or_create_key(path: Path | None) -> rsa.RSAPrivateKey:
    """The signing key: read from ``path`` when it exists, else a new RSA 2048 key, written to
    ``path`` when one is given (so tokens issued before a restart still validate after it)."""
    if path is not None and path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError as exc:
            raise SystemExit(
                f"{path} holds no readable PEM private key ({exc}). Delete it and a new key is "
                "made (tokens signed with the old one then stop validating)."
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SystemExit(f"{path} holds a {type(key).__name__}, not an RSA key; delete it.")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if path is not None:
        _write_private(path, key)
    return key


def _write_private(path: Path, key: rsa.RSAPrivateKey) -> None:
    # Owner-only, and written whole before it gets its name: a reader never sees half a key.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(pem)
    partial.replace(path)


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 thumbprint of an RSA JWK: SHA-256 of its required members only (``e``,
    ``kty``, ``n``), sorted and without whitespace, base64url without padding."""
    required = json.dumps({m: jwk[m] for m in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(required.encode()).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public key as the JWKS publishes it. Its ``kid`` is its thumbprint, so one key has
    one id whatever process serves it: a restart with the same key file keeps the id."""
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    public = {"kty": "RSA", "n": jwk["n"], "e": jwk["e"]}
    return {**public, "kid": jwk_thumbprint(public), "alg": ALGORITHM, "use": "sig"}


def discovery_document(issuer: str) -> dict[str, Any]:
    """The OpenID Provider metadata the services read to find the JWKS."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/jwks.json",
        "token_endpoint": f"{issuer}/token",
        "authorization_endpoint": f"{issuer}/authorize",
        "end_session_endpoint": f"{issuer}/end-session",
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["public"],
        "x-warning": WARNING,
    }


def create_app(issuer: str, *, key_path: Path | None = None) -> FastAPI:
    """The issuer's HTTP app. ``issuer`` is the URL clients reach it at (it goes into ``iss``
    and must equal what the services are configured with); ``key_path`` keeps the signing key
    across restarts (see ``load_or_create_key``)."""
    issuer = issuer.rstrip("/")
    key = load_or_create_key(key_path)
    jwk = public_jwk(key.public_key())
    logger.warning("%s Issuer %s, signing key %s.", WARNING, issuer, jwk["kid"])
    app = FastAPI(
        title="SEND development identity provider (development and tests only)",
        description=WARNING,
    )

    @app.exception_handler(GrantRefused)
    async def refused(_: Request, exc: GrantRefused) -> JSONResponse:
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description},
            status_code=exc.status_code,
            headers={**exc.headers, "Cache-Control": "no-store"},
        )

    @app.get("/.well-known/openid-configuration")
    async def openid_configuration() -> dict[str, Any]:
        return discovery_document(issuer)

    @app.get("/jwks.json")
    async def jwks() -> dict[str, list[dict[str, str]]]:
        return {"keys": [jwk]}

    browser = BrowserSignIn()

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        body = await request.body()
        content_type = request.headers.get("content-type")
        authorization = request.headers.get("authorization")
        form = form_of(content_type, body)
        grant = form.get("grant_type")
        if grant in {"authorization_code", "refresh_token"}:
            client_id = workspace_client(form, authorization)
            if grant == "authorization_code":
                accepted, code = browser.redeem_code(form, client_id)
                session_id, nonce = code.session_id, code.request.nonce
            else:
                accepted, held = browser.redeem_refresh(form, client_id)
                session_id, nonce = held.session_id, None
            answer = _issue(accepted, issuer, key, jwk["kid"])
            user = browser.sessions[session_id]
            answer["refresh_token"] = browser.issue_refresh(user, client_id, session_id)
            answer["id_token"] = _id_token(
                accepted, issuer, key, jwk["kid"], client_id, session_id, nonce
            )
        else:
            answer = _issue(
                read_request(content_type, body, authorization), issuer, key, jwk["kid"]
            )
        return JSONResponse(
            answer,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},  # RFC 6749 5.1
        )

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        try:
            asked = browser.check_authorization(params)
        except GrantRefused as exc:  # never redirect to an address that was not checked
            return HTMLResponse(sign_in_page({}, exc.description), status_code=400)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id in browser.sessions:  # already signed in here: single sign-on
            return RedirectResponse(
                redirect_with(
                    asked.redirect_uri,
                    code=browser.issue_code(session_id, asked),
                    state=asked.state,
                ),
                status_code=302,
            )
        return HTMLResponse(sign_in_page(params))

    @app.post("/authorize", response_class=HTMLResponse)
    async def sign_in(request: Request) -> Response:
        form = form_of(request.headers.get("content-type"), await request.body())
        try:
            asked = browser.check_authorization(form)
        except GrantRefused as exc:
            return HTMLResponse(sign_in_page({}, exc.description), status_code=400)
        try:
            session_id, user = browser.sign_in(form.get("username", ""), form.get("password", ""))
        except GrantRefused as exc:
            return HTMLResponse(sign_in_page(form, exc.description), status_code=401)
        logger.info("browser sign-in of %s", user.username)
        response = RedirectResponse(
            redirect_with(
                asked.redirect_uri, code=browser.issue_code(session_id, asked), state=asked.state
            ),
            status_code=303,
        )
        response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="lax")
        return response

    @app.get("/end-session", response_class=HTMLResponse)
    async def end_session(request: Request) -> Response:
        """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)."""
        hint = request.query_params.get("id_token_hint")
        session_id = request.cookies.get(SESSION_COOKIE)
        if hint:
            try:
                claims = jwt.decode(
                    hint, key.public_key(), algorithms=[ALGORITHM], audience=WORKSPACE_CLIENT_ID,
                    issuer=issuer, options={"verify_exp": False},
                )  # fmt: skip
                session_id = str(claims.get("sid") or session_id)
            except jwt.PyJWTError:
                pass  # an unreadable hint signs out the browser's own session only
        browser.end_session(session_id)
        then = request.query_params.get("post_logout_redirect_uri")
        response: Response
        if then and then.startswith(("http://127.0.0.1", "http://localhost")):
            state = request.query_params.get("state")
            response = RedirectResponse(
                redirect_with(then, state=state) if state else then, status_code=302
            )
        else:
            response = HTMLResponse(signed_out_page())
        response.delete_cookie(SESSION_COOKIE)
        return response

    return app


def _issue(
    request: TokenRequest, issuer: str, key: rsa.RSAPrivateKey, kid: str
) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": request.audience,
        "iat": now,
        "nbf": now,
        "exp": now + request.expires_in,
        "jti": str(uuid4()),
        **request.identity_claims(),
    }
    token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
    logger.info(
        "issued %s token %s to %s for %s",
        request.grant_type,
        claims["jti"],
        claims["sub"],
        request.audience,
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": request.expires_in}


def _id_token(
    request: TokenRequest,
    issuer: str,
    key: rsa.RSAPrivateKey,
    kid: str,
    client_id: str,
    session_id: str,
    nonce: str | None,
) -> str:
    """The ID token a browser sign-in gets: who signed in, for the workspace, with the
    provider's session id (``sid``: what logout ends). Ids and roles only."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": client_id,
        "sub": request.subject,
        "iat": now,
        "exp": now + request.expires_in,
        "auth_time": now,
        "sid": session_id,
        "preferred_username": request.subject,
        "roles": list(request.roles),
        "local_authorities": list(request.local_authorities),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.dev_identity", description=WARNING)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="on 127.0.0.1")
    parser.add_argument(
        "--key-file", type=Path, help="PEM signing key: read if present, else written"
    )
    args = parser.parse_args(argv)
    configure_logging("dev-identity", os.environ.get("LOG_LEVEL", "INFO"))
    app = create_app(f"http://127.0.0.1:{args.port}", key_path=args.key_file)
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False)


if __name__ == "__main__":
    main()
