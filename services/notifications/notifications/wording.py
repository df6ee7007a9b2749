"""The shape of a message's words, and of the phrases that stand for codes in them. Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    subject: str
    body: str
    """Email and letter body: paragraphs separated by a blank line."""
    sms: str


@dataclass(frozen=True)
class Phrases:
    """A language's words for the codes events carry (a refusal's reason, a kind of advice, a
    deadline): what a placeholder such as ``{reason}`` becomes."""

    codes: dict[str, dict[str, str]]
    """By placeholder, then code; the code ``""`` is the words for a code not listed (an
    ``advice:<kind>`` deadline is looked up as ``advice``)."""
    and_: str = "and"
    by: str = "by"
