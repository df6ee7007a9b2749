"""Rendering pages: Jinja2 (autoescaped) with the GOV.UK Design System's components
(``govuk-frontend-jinja``, the community port of GOV.UK Frontend's Nunjucks macros)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    select_autoescape,
)

from web.sessions import csrf_token, session_of

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LONDON = ZoneInfo("Europe/London")


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = long_date
    env.filters["when"] = date_and_time
    return env


def long_date(value: date | str | None) -> str:
    """``3 March 2027``: GOV.UK's style for dates."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10]) if len(value) >= 10 else value
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def date_and_time(value: datetime | str | None) -> str:
    """``3 March 2027 at 2:05pm``, London time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


templates = Jinja2Templates(env=environment())


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page ``template`` for this request, with what every page's layout needs: who is
    signed in (their roles choose the navigation) and the CSRF token for its forms."""
    session = session_of(request)
    user = session.data.get("user")
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "roles": set(user["roles"]) if user else set(),
            "csrf": csrf_token(request) if user else "",
            "current": request.url.path,
            **context,
        },
        status_code=status_code,
    )
