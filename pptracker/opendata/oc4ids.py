"""Our projects as OC4IDS 0.9.5 projects and project packages.

The mapping is from ``queries.ProjectRecords`` (already limited to what the
public may see) to plain dicts; ``jsonout`` writes them. Only what our data
holds is written, and empty values are left out (the validator flags them).
Codes go out as they are when the OC4IDS code list is open; a closed list's
field is left out when our code is not in it (a contract's ``operation``
nature, a cancelled milestone's status).

Parties: every organisation a project refers to is in its ``parties`` with
the roles it plays in that project; its id is ``org-<our id>``, the same in
every project, so references always resolve.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from pptracker import codelists
from pptracker.contracts.queries import masked_old_figures
from pptracker.milestones.models import MilestoneStatus
from pptracker.opendata.jsonout import dumps, stream_array
from pptracker.opendata.queries import Batch, ProjectRecords
from pptracker.opendata.settings import Settings
from pptracker.reports.version import DataVersion

#: The OC4IDS schema version of the packages (major.minor, as the package schema wants).
VERSION = "0.9"

#: Our milestone statuses in the closed OC4IDS milestoneStatus list.
#: In progress is not met yet, which OC4IDS calls scheduled; cancelled has no code.
MILESTONE_STATUS = {
    MilestoneStatus.SCHEDULED: "scheduled",
    MilestoneStatus.IN_PROGRESS: "scheduled",
    MilestoneStatus.MET: "met",
    MilestoneStatus.NOT_MET: "notMet",
    MilestoneStatus.PARTIALLY_MET: "partiallyMet",
}

#: Project statuses from which the project's construction is complete.
COMPLETED = frozenset({"completion", "maintenance", "decommissioning", "decommissioned"})

#: Contract party roles that make the party a supplier of the contract.
SUPPLIER_ROLES = ("privateParty", "supplier")

PERCENT = {"name": "percent", "scheme": "UNCEFACT", "id": "P1"}


@dataclass(frozen=True)
class Links:
    """Absolute addresses of public pages and files, as OC4IDS wants them."""

    document: Callable[[int], str]
    report: Callable[[str], str]


# --- small values -------------------------------------------------------------------------


def _date(value: date | None) -> str | None:
    return None if value is None else f"{value.isoformat()}T00:00:00Z"


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(amount: Decimal | None, currency: str | None) -> dict | None:
    if amount is None or not currency:
        return None
    return {"amount": amount, "currency": currency}


def _period(start: date | None, end: date | None) -> dict:
    return {"startDate": _date(start), "endDate": _date(end)}


def _closed(code: str | None, codelist: str) -> str | None:
    """Return ``code`` when the closed OC4IDS code list has it, else None (left out)."""
    return code if code and code in codelists.codelist(codelist) else None


def prune(value):
    """Return ``value`` without empty text, lists, objects or None, at any depth.

    Zero and false are values, and are kept.
    """
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not _empty(v)}
    if isinstance(value, list):
        pruned = [prune(v) for v in value]
        return [v for v in pruned if not _empty(v)]
    return value


def _empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, dict | list) and not value


# --- parties ------------------------------------------------------------------------------


def organization_id(party_id: int) -> str:
    """Return the OC4IDS id of our party ``party_id`` (the same in every project)."""
    return f"org-{party_id}"


class _Parties:
    """The parties one project refers to, with the roles they play in it."""

    def __init__(self, parties: dict):
        self._parties = parties
        self._roles: dict[int, list[str]] = {}

    def ref(self, party_id: int | None, *roles: str) -> dict | None:
        """Return a reference to the party, noting its roles; None for no (or no known) party."""
        party = self._parties.get(party_id)
        if party is None:
            return None
        known = self._roles.setdefault(party.id, [])
        known.extend(r for r in roles if r not in known)
        return {"id": organization_id(party.id), "name": party.name}

    def organizations(self) -> list[dict]:
        """Return the OC4IDS ``parties`` list: every party referred to, by first reference."""
        return [_organization(self._parties[i], roles) for i, roles in self._roles.items()]


def _organization(party, roles: list[str]) -> dict:
    identifier = None
    if party.identifier_scheme and party.identifier_id:
        identifier = {"scheme": party.identifier_scheme, "id": party.identifier_id}
    return {
        "id": organization_id(party.id),
        "name": party.name,
        "identifier": identifier,
        "address": {
            "streetAddress": party.street_address,
            "locality": party.locality,
            "region": party.region,
            "postalCode": party.postal_code,
            "countryName": codelists.title("country", party.country),
        },
        "contactPoint": {
            "name": party.contact_name,
            "email": party.contact_email,
            "telephone": party.contact_telephone,
            "url": party.url,
        },
        "roles": roles,
    }


# --- a project ----------------------------------------------------------------------------


def project(
    records: ProjectRecords, parties: dict, settings: Settings, links: Links, *, as_of: date
) -> dict:
    """Return one project as an OC4IDS project.

    :param records: the project and its public records (``queries.load_batch``).
    :param parties: ``{party id: Party}`` holding every party the records refer to.
    :param as_of: the date the figures are as of (the data version's), for the progress metric.
    """
    p = records.project
    refs = _Parties(parties)
    milestone_titles = {m.id: m.title for m in records.milestones}
    public_authority = refs.ref(p.public_authority_id, "publicAuthority")
    refs.ref(p.private_party_id, "privateParty")
    contract_documents: dict[int, list] = {}
    project_documents = []
    for document in records.documents:
        if document.contract_id is not None:
            contract_documents.setdefault(document.contract_id, []).append(document)
        else:
            project_documents.append(document)
    data = {
        "id": settings.project_id(p.code),
        "identifiers": [{"id": p.code, "scheme": "internal"}],
        "updated": _time(p.updated_at),
        "title": p.title,
        "description": p.description,
        "purpose": p.purpose,
        "status": _closed(p.status, "projectStatus"),
        "type": _closed(p.type, "projectType"),
        "sector": [p.sector],
        "period": _period(p.planned_start, p.planned_end),
        "locations": _locations(p),
        "budget": _budget(records, refs),
        "parties": None,  # filled last, once every reference is known
        "publicAuthority": public_authority,
        "documents": [
            *(_document(d, links) for d in project_documents),
            {
                "id": "transparency-report",
                "title": "Project transparency report",
                "description": "The project's public report, built from the data as of "
                "the last change.",
                "url": links.report(p.code),
                "format": "application/pdf",
            },
        ],
        "forecasts": _forecasts(records),
        "metrics": _metrics(records, as_of),
        "contractingProcesses": [
            _contracting_process(
                c, records, refs, links, contract_documents.get(c.id, []), milestone_titles
            )
            for c in records.contracts
        ],
        "milestones": [_milestone(m) for m in records.milestones],
        "transactions": [
            _transaction(t, refs, milestone_titles)
            for t in records.transactions
            if t.contract_id is None
        ],
        "completion": _completion(records),
    }
    data["parties"] = refs.organizations()
    return prune(data)


def _locations(p) -> list[dict]:
    geometry = None
    if p.latitude is not None and p.longitude is not None:
        # GeoJSON order: longitude first.
        geometry = {"type": "Point", "coordinates": [p.longitude, p.latitude]}
    if not (p.location or geometry):
        return []
    return [{"id": "1", "description": p.location, "geometry": geometry}]


def _budget(records: ProjectRecords, refs: _Parties) -> dict:
    p = records.project
    lines = [
        {
            "id": line.code,
            "description": line.name,
            "amount": _value(line.planned_amount, p.currency),
            "period": _period(line.start_date, line.end_date),
            "sourceParty": refs.ref(line.funding_source_id, "funder"),
        }
        for line in records.budget_lines
    ]
    breakdowns = []
    if lines:
        breakdowns.append(
            {
                "id": "budgetLines",
                "description": "The project budget by budget line, in the project currency.",
                "budgetBreakdown": lines,
            }
        )
    return {"amount": _value(p.budget_amount, p.currency), "budgetBreakdowns": breakdowns}


def _document(document, links: Links) -> dict:
    return {
        "id": str(document.id),
        "documentType": document.document_type,
        "title": document.title,
        "url": links.document(document.id),
        "datePublished": _time(document.created_at),
        "dateModified": _time(document.updated_at),
        "format": document.media_type,
    }


def _counted(milestones) -> list:
    return [m for m in milestones if m.status != MilestoneStatus.CANCELLED]


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def _metrics(records: ProjectRecords, as_of: date) -> list[dict]:
    """Physical progress: the weighted percent complete of the milestones, as of ``as_of``.

    The same figure as ``milestones.queries.physical_progress``.
    """
    counted = _counted(records.milestones)
    total = sum(m.weight for m in counted)
    if not total:
        return []
    done = sum(Decimal(m.weight) * m.percent_complete for m in counted)
    return [
        {
            "id": "physicalProgress",
            "title": "Physical progress",
            "description": "Percent complete of the milestones, weighted by their weights "
            "(cancelled milestones left out).",
            "observations": [
                {
                    "id": as_of.isoformat(),
                    "period": _period(as_of, as_of),
                    "measure": _percent(done, Decimal(total)),
                    "unit": PERCENT,
                }
            ],
        }
    ]


def _forecasts(records: ProjectRecords) -> list[dict]:
    """Planned physical progress: by each baseline date, the weight of the milestones due by then.

    The plan the physical progress metric is measured against; no forecast
    when no milestone has a baseline date.
    """
    counted = _counted(records.milestones)
    total = sum(m.weight for m in counted)
    due: dict[date, int] = {}
    for m in counted:
        if m.baseline_date is not None:
            due[m.baseline_date] = due.get(m.baseline_date, 0) + m.weight
    if not total or not due:
        return []
    observations, cumulative = [], 0
    for day in sorted(due):
        cumulative += due[day]
        observations.append(
            {
                "id": day.isoformat(),
                "period": _period(day, day),
                "measure": _percent(Decimal(cumulative * 100), Decimal(total)),
                "unit": PERCENT,
            }
        )
    return [
        {
            "id": "physicalProgress",
            "title": "Planned physical progress",
            "description": "The share of the milestones' weight planned to be complete by "
            "each baseline date (cancelled milestones left out).",
            "observations": observations,
        }
    ]


def _milestone(m) -> dict:
    return {
        "id": str(m.id),
        "title": m.title,
        "type": m.type,
        "code": m.code,
        "description": m.description,
        "dueDate": _date(m.baseline_date),
        "dateMet": _date(m.actual_date),
        "dateModified": _time(m.updated_at),
        "status": MILESTONE_STATUS.get(m.status),
    }


def _transaction(t, refs: _Parties, milestone_titles: dict[int, str]) -> dict:
    milestone = None
    if t.milestone_id in milestone_titles:
        milestone = {"id": str(t.milestone_id), "title": milestone_titles[t.milestone_id]}
    return {
        "id": str(t.id),
        "date": _date(t.transaction_date),
        "value": _value(t.amount, t.currency),
        "payer": refs.ref(t.payer_id, "payer"),
        "payee": refs.ref(t.payee_id, "payee"),
        "relatedImplementationMilestone": milestone,
    }


def _contracting_process(
    contract, records: ProjectRecords, refs: _Parties, links: Links, documents, milestone_titles
) -> dict:
    roles: dict[str, list[dict]] = {}
    for party, role in records.contract_parties.get(contract.id, []):
        extra = ("supplier",) if role in SUPPLIER_ROLES else ()
        ref = refs.ref(party, role, *extra)
        if ref is not None and ref not in roles.setdefault(role, []):
            roles[role].append(ref)
    suppliers = []
    for role in SUPPLIER_ROLES:
        suppliers.extend(r for r in roles.get(role, []) if r not in suppliers)
    first = {role: references[0] for role, references in roles.items()}
    return {
        "id": f"contract-{contract.id}",
        "summary": {
            "externalReference": contract.reference,
            "nature": [n for n in contract.nature or [] if _closed(n, "contractNature")],
            "title": contract.title,
            "description": contract.description,
            "status": _closed(contract.status.value, "contractingProcessStatus"),
            "tender": {
                "procurementMethod": _closed(contract.procurement_method, "method"),
                "procurementMethodDetails": contract.procurement_method_details,
                "numberOfTenderers": contract.number_of_tenderers,
                "tenderers": roles.get("tenderer", []),
                "procuringEntity": first.get("procuringEntity"),
                "administrativeEntity": first.get("administrativeEntity"),
            },
            "suppliers": suppliers,
            # OC4IDS: the value and period at signature; changes are modifications.
            "contractValue": _value(contract.initial_value, contract.currency),
            "contractPeriod": _period(contract.initial_start, contract.initial_end),
            "documents": [_document(d, links) for d in documents],
            "modifications": _modifications(contract, records.amendments.get(contract.id, [])),
            "transactions": [
                _transaction(t, refs, milestone_titles)
                for t in records.transactions
                if t.contract_id == contract.id
            ],
        },
    }


def _modifications(contract, amendments) -> list[dict]:
    """The public amendments; a "before" figure a confidential one set is left out."""
    masked = masked_old_figures(amendments)
    result = []
    for a in amendments:
        if a.confidential:
            continue
        sets_value = a.new_value is not None
        sets_period = a.new_start is not None or a.new_end is not None
        old_value = old_period = None
        if sets_value and a.id not in masked.old_value:
            old_value = _value(a.old_value, contract.currency)
        if sets_period and a.id not in masked.old_period:
            old_period = _period(a.old_start, a.old_end)
        result.append(
            {
                "id": str(a.number),
                "date": _date(a.amended_on),
                "description": a.description,
                "rationale": a.rationale,
                "type": a.type.value,
                "oldContractValue": old_value,
                "newContractValue": _value(a.new_value, contract.currency),
                "oldContractPeriod": old_period,
                "newContractPeriod": _period(a.new_start, a.new_end) if sets_period else None,
            }
        )
    return result


def _completion(records: ProjectRecords) -> dict | None:
    """When the status says construction is complete: the completion milestone's date, if met."""
    if records.project.status not in COMPLETED:
        return None
    for m in records.milestones:
        if m.code == "completion" and m.actual_date is not None:
            return {"endDate": _date(m.actual_date)}
    return None


# --- packages -----------------------------------------------------------------------------


def package_head(settings: Settings, at: DataVersion, *, uri: str, policy_url: str) -> dict:
    """Return the package's own fields (all but ``projects``)."""
    return {
        "uri": uri,
        "publishedDate": _time(at.at),
        "publisher": {"name": settings.publisher, "uri": settings.url("/")},
        "license": settings.license_url,
        "publicationPolicy": policy_url,
        "version": VERSION,
    }


def stream_package(
    head: dict, batches: Iterator[Batch], settings: Settings, links: Links, *, as_of: date
) -> Iterator[str]:
    """Yield an OC4IDS project package as JSON text, a piece at a time.

    Projects are written as their batch is read, so only one batch is ever
    held in memory, whatever the number of projects.
    """
    opening = dumps(head)[:-1] + ',"projects":'

    def projects():
        for batch in batches:
            for records in batch.projects:
                yield project(records, batch.parties, settings, links, as_of=as_of)

    return stream_array(projects(), head=opening, tail="}\n")
