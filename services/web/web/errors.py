"""What a person sees when something goes wrong: a page in words, never a traceback or a
service's JSON. Another council's record is "Page not found", as a record that is not there."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.backends import Forbidden, NotFound, SignInAgain, Unavailable
from web.pages import render
from web.sessions import session_of
from web.signin import BadForm, MustSignIn, NotAllowed

logger = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    """What a person sees when something goes wrong: a page in words, never a traceback."""

    async def must_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MustSignIn)
        return RedirectResponse(f"/sign-in?{urlencode({'then': exc.then})}", status_code=303)

    async def sign_in_again(request: Request, _: Exception) -> Response:
        session_of(request).end()
        return RedirectResponse("/sign-in", status_code=303)

    async def not_found(request: Request, _: Exception) -> Response:
        return render(request, "errors/not_found.html", status_code=404)

    async def not_allowed(request: Request, _: Exception) -> Response:
        return render(request, "errors/not_allowed.html", status_code=403)

    async def unavailable(request: Request, exc: Exception) -> Response:
        # Which service and why ("referrals answered 503", "plans: ReadTimeout"): the person
        # sees "a problem with the service", the operator needs the rest. Never the path: a
        # family's or an adviser's holds their link.
        logger.warning("page unavailable: %s", exc)
        response = render(request, "errors/unavailable.html", status_code=503)
        response.headers["Retry-After"] = "30"
        return response

    async def bad_form(request: Request, _: Exception) -> Response:
        return render(request, "errors/bad_form.html", status_code=400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return await not_found(request, exc)
        if exc.status_code == 405:
            return render(request, "errors/not_found.html", status_code=405)
        return render(request, "errors/unavailable.html", status_code=exc.status_code)

    app.add_exception_handler(MustSignIn, must_sign_in)
    app.add_exception_handler(SignInAgain, sign_in_again)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(Forbidden, not_allowed)
    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(BadForm, bad_form)
    app.add_exception_handler(StarletteHTTPException, http_error)
