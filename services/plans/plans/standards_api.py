"""HTTP routes of the plans service: the standards catalogue in force for a council, and
what it covers. The catalogue holds no child's data (no audit entry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from plans.catalogue_store import catalogue_in_force
from plans.coverage import NeedCoverage, coverage
from plans.standards import NeedDescription, Standard
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.events import Sen2Need
from shared.http import UNAVAILABLE, DbConnection

router = APIRouter(
    prefix="/v1/standards",
    tags=["standards"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)

Council = Annotated[
    str,
    Query(
        pattern=r"^E(06|08|09|10)[0-9]{6}$",
        description="ONS code of the council (one the caller acts for)",
        examples=["E08000035"],
    ),
]


class CatalogueView(BaseModel):
    local_authority: str
    catalogue_versions: list[str] = Field(description="National first, then the council's")
    needs: dict[Sen2Need, NeedDescription]
    standards: list[Standard]
    version_of: dict[str, str] = Field(
        description="Each standard's id: the version it comes from (a council's own, or the "
        "national one)"
    )


class CoverageView(BaseModel):
    local_authority: str
    catalogue_versions: list[str]
    needs: list[NeedCoverage]


@router.get("", response_model=CatalogueView)
async def standards_in_force(
    local_authority: Council, conn: DbConnection, principal: CurrentPrincipal
) -> CatalogueView:
    """The standards a council's plans are drafted with: the newest national version, with
    the newest version of the council's own layer over it (its standards replace the national
    ones of the same id)."""
    require_council(principal, [local_authority])
    catalogue = await catalogue_in_force(conn, local_authority)
    return CatalogueView(
        local_authority=local_authority,
        catalogue_versions=catalogue.versions,
        needs=catalogue.needs,
        standards=catalogue.standards,
        version_of=catalogue.version_of,
    )


@router.get("/coverage", response_model=CoverageView)
async def standards_coverage(
    local_authority: Council, conn: DbConnection, principal: CurrentPrincipal
) -> CoverageView:
    """For each SEN2 code: its area, the standards serving it, and how many per phase."""
    require_council(principal, [local_authority])
    catalogue = await catalogue_in_force(conn, local_authority)
    return CoverageView(
        local_authority=local_authority,
        catalogue_versions=catalogue.versions,
        needs=coverage(catalogue),
    )
