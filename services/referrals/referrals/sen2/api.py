"""The SEN2 return for managers, and the child's UPN for caseworkers: each in one unit of
work as the caller, so council boundaries hold and every read or change is audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from referrals.sen2 import mapping, store
from referrals.sen2.record import totals
from referrals.sen2.upn import normalised_upn
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(prefix="/v1", tags=["SEN2 return"], responses={**UNAVAILABLE, **AUTH_RESPONSES})

Upn = Annotated[str, Field(max_length=20), AfterValidator(normalised_upn)]


class ChildUpn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upn: Upn = Field(
        description="The unique pupil number: 13 characters, a check letter then 12 digits "
        "(spaces allowed); its check letter must match",
        examples=["P938612345678"],
    )


class PersonProblems(BaseModel):
    child_id: UUID
    referral_id: UUID
    problems: list[tuple[str, str]] = Field(description="(field, why) for each rule broken")


class Sen2Summary(BaseModel):
    local_authority: str
    census_date: date
    year: int = Field(description="The calendar year the totals count (the one before the census)")
    people: int
    totals: dict[str, int]
    problems: list[PersonProblems] = Field(description="Only the children with problems")


@router.get(
    "/reports/sen2",
    response_model=None,
    responses={
        200: {
            "content": {"application/xml": {}, "text/csv": {}, "application/json": {}},
            "description": "The return as XML or CSV, or its totals and problems as JSON",
        }
    },
    dependencies=[allow(Role.MANAGER)],
)
async def sen2_return(
    caller: AsCaller,
    principal: CurrentPrincipal,
    local_authority: Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])],
    census_date: Annotated[date, Query(examples=["2027-01-21"])],
    format: Annotated[Literal["xml", "csv", "json"], Query()] = "xml",  # the API's word
) -> Response | Sen2Summary:
    """The person-level SEN2 return on ``census_date``: every child with an EHC request or a
    plan that the year before the census touches, in the collection's structure (XML), as a
    CSV for checking by eye, or (JSON) its totals and each child's validation problems by id.
    Each child's record returned is audited as a read."""
    require_council(principal, [local_authority])
    year = census_date.year - 1
    first, last = date(year, 1, 1), date(year, 12, 31)
    async with caller.begin(isolation="repeatable_read") as uow:
        people = await store.people(uow.conn, local_authority, census_date, first)
        uow.read("sen2-return", referral_id=None, local_authority=local_authority)
        uow.read_each("sen2-return", [(p.referral_id, local_authority) for p in people])
    if format == "xml":
        body = mapping.as_xml(people, local_authority, census_date)
        return Response(body, media_type="application/xml", headers=_named(census_date, "xml"))
    if format == "csv":
        text = mapping.as_csv(people)
        return Response(text, media_type="text/csv", headers=_named(census_date, "csv"))
    return Sen2Summary(
        local_authority=local_authority,
        census_date=census_date,
        year=year,
        people=len(people),
        totals=asdict(totals(people, first, last)),
        problems=[
            PersonProblems(child_id=p.child_id, referral_id=p.referral_id, problems=p.problems)
            for p in people
            if p.problems
        ],
    )


def _named(census_date: date, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="sen2-{census_date}.{extension}"'}


@router.put(
    "/referrals/{referral_id}/child/upn",
    response_model=ChildUpn,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def set_child_upn(referral_id: UUID, body: ChildUpn, caller: AsCaller) -> ChildUpn:
    """Record the child's UPN (for the SEN2 return), replacing any before. Audited."""
    async with caller.begin() as uow:
        council = await uow.conn.fetchval(
            """UPDATE children c SET upn = $2 FROM referrals r
               WHERE r.id = $1 AND c.id = r.child_id AND c.erased_at IS NULL
               RETURNING r.local_authority""",
            referral_id,
            body.upn,
        )
        if council is None:  # unknown, erased, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        uow.changed("change", "child-upn", referral_id=referral_id, local_authority=council)
    return body
