"""OC4IDS 0.9.5 code lists (copied from the standard) and pptracker's own lists.

The CSV files beside this module are byte-for-byte copies from the
open-contracting/infrastructure repository (Apache-2.0), so forms, validation
and the OC4IDS export share one source of codes and titles.
"""

import csv
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


@cache
def codelist(name: str) -> dict[str, str]:
    """Return ``{code: title}`` for an OC4IDS code list, in file order.

    :param name: the file stem, e.g. ``"projectStatus"``.
    """
    with (_HERE / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return {row["Code"]: row["Title"] for row in csv.DictReader(fh)}


def choices(name: str, *, blank: str | None = None) -> dict[str, str]:
    """Return ``{code: title}`` for a select field, after an optional blank choice."""
    return {"": blank, **codelist(name)} if blank is not None else dict(codelist(name))


def title(name: str, code: str | None) -> str:
    """Return the human title of ``code`` in ``name``, or the code itself."""
    if not code:
        return ""
    return codelist(name).get(code, code)


#: PPP contract models (not an OC4IDS code list: the PPP profile leaves it open).
PPP_MODELS = {
    "BOT": "Build-Operate-Transfer (BOT)",
    "BOOT": "Build-Own-Operate-Transfer (BOOT)",
    "BOO": "Build-Own-Operate (BOO)",
    "DBFO": "Design-Build-Finance-Operate (DBFO)",
    "DBFOM": "Design-Build-Finance-Operate-Maintain (DBFOM)",
    "concession": "Concession",
    "availabilityPayment": "Availability payment",
    "lease": "Lease / affermage",
    "managementContract": "Management contract",
}

#: Party roles: OC4IDS partyRole plus the PPP profile's extra roles.
PPP_PARTY_ROLES = {
    "privateParty": "Private party (SPV)",
    "leadBank": "Lead bank",
    "lender": "Lender",
    "equityInvestor": "Equity investor",
}


def party_roles() -> dict[str, str]:
    """Return every party role code with its title, OC4IDS ones first."""
    return {**codelist("partyRole"), **PPP_PARTY_ROLES}


#: PPP risk categories (OCDS for PPPs riskCategory codes).
RISK_CATEGORIES = {
    "landAvailability": "Land availability and site",
    "environmental": "Environmental and social",
    "design": "Design",
    "construction": "Construction",
    "completion": "Completion (delay and cost overrun)",
    "revenue": "Demand and revenue",
    "otherRevenue": "Other revenue",
    "inflationAndFx": "Inflation and exchange rate",
    "availabilityAndQuality": "Availability and service quality",
    "financeAvailability": "Availability of finance",
    "refinancing": "Refinancing",
    "changeInLaw": "Change in law",
    "forceMajeure": "Force majeure",
    "earlyTermination": "Early termination",
    "compliance": "Regulatory compliance",
}


def contract_natures() -> dict[str, str]:
    """Return OC4IDS contractNature codes plus ``operation``, which a PPP contract has."""

    return {**codelist("contractNature"), "operation": "Operation and maintenance"}
