"""Quality checks of a plan document (plans-core owns the full set; this is the signature
lifecycle code calls, at one place, when a plan changes). Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from plans.document import PlanDocument


class CheckResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    passed: bool
    why: str | None = None


def _result(code: str, failures: list[str]) -> CheckResult:
    return CheckResult(code=code, passed=not failures, why="; ".join(failures) or None)


def check(document: PlanDocument) -> list[CheckResult]:
    """Every need has an outcome and provision; no provision without an outcome."""
    outcomes = {o.id for o in document.E}
    served = {i for line in [*document.F, *document.G] for i in line.outcome_ids}
    met = {n for o in document.E for n in o.need_ids}
    provided = {n for o in document.E if o.id in served for n in o.need_ids}
    return [
        _result(
            "need_has_outcome", [f"{n.id} has no outcome" for n in document.B if n.id not in met]
        ),
        _result(
            "need_has_provision",
            [f"{n.id} has no provision" for n in document.B if n.id not in provided],
        ),
        _result(
            "provision_serves_an_outcome",
            [
                f"{line.id} serves no outcome in E"
                for line in [*document.F, *document.G]
                if not set(line.outcome_ids) & outcomes
            ],
        ),
    ]
