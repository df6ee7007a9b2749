"""The bodies of the caseworker's lifecycle requests."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Change(BaseModel):
    version: int | None = Field(default=None, ge=1, description="Or If-Match: the version read")


class TakenResponse(Change):
    agreed: bool = Field(description="Support: agreed; EHC: no more comments")
    comments: str = Field(min_length=1, max_length=5000)
    preferred_school: str | None = Field(default=None, max_length=200)


class Issue(Change):
    comments_until: date | None = Field(default=None, description="15 days from today or later")


class Finalise(Change):
    late_reason: str | None = Field(
        default=None, max_length=500, description="Needed after the statutory date: why late"
    )
    phase_ends_on: date | None = Field(
        default=None,
        description="When the child's phase ends before the review: the outcomes run to it",
    )


class Review(Change):
    reason: str = Field(min_length=1, max_length=500, examples=["annual review meeting held"])
