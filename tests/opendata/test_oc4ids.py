"""The OC4IDS packages: valid for the official validator, true to the database, nothing withheld."""

import json
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from pptracker.extensions import db
from pptracker.opendata.tables import TABLES
from pptracker.projects.models import Project
from tests.demo_secrets import leaks, secrets
from tests.opendata.conftest import assert_valid_oc4ids


def _package(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True), parse_float=Decimal)


def _as_numbers(package):
    # The validator reads JSON as json.loads does (floats), like any reader would.
    return json.loads(json.dumps(package, default=float))


def _project(package, code):
    (found,) = [p for p in package["projects"] if p["id"] == f"oc4ids-pptrak-{code}"]
    return found


def test_the_rich_project_passes_the_official_validator(client, rich):
    package = _package(client, f"/projects/{rich.code}/oc4ids.json")
    assert_valid_oc4ids(_as_numbers(package))
    assert [p["id"] for p in package["projects"]] == ["oc4ids-pptrak-harbour-tunnel"]


def test_a_minimal_project_passes_the_official_validator(client, make_project):
    make_project("bare", title="Bare project", published=True, budget_amount=None)
    package = _package(client, "/projects/bare/oc4ids.json")
    assert_valid_oc4ids(_as_numbers(package))
    project = package["projects"][0]
    # Empty values are left out, not written as "" or [].
    assert "description" not in project and "contractingProcesses" not in project
    assert "budget" not in project
    assert project["parties"] == [
        {
            "id": project["publicAuthority"]["id"],
            "name": project["publicAuthority"]["name"],
            "roles": ["publicAuthority"],
        }
    ]


def test_the_demo_passes_the_official_validator_and_no_export_shows_a_withheld_item(
    app, runner, client
):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        withheld = secrets()
        published = db.session.scalars(
            sa.select(Project.code).where(Project.published, Project.is_deleted.is_(False))
        ).all()
    package = _package(client, "/opendata/oc4ids.json")
    assert_valid_oc4ids(_as_numbers(package))
    assert sorted(p["identifiers"][0]["id"] for p in package["projects"]) == sorted(published)
    texts = {"the OC4IDS package": json.dumps(package, default=str, ensure_ascii=False)}
    for code in published:
        one = _package(client, f"/projects/{code}/oc4ids.json")
        assert_valid_oc4ids(_as_numbers(one))
        assert one["projects"] == [_project(package, code)]
        texts[f"the package of {code}"] = json.dumps(one, default=str, ensure_ascii=False)
    texts["the open data page"] = client.get("/opendata/").get_data(as_text=True)
    for name in TABLES:
        for fmt in ("csv", "json"):
            response = client.get(f"/opendata/{name}.{fmt}")
            assert response.status_code == 200
            texts[f"{name}.{fmt}"] = response.get_data(as_text=True)
    assert len(withheld) >= 5
    assert leaks(texts, withheld) == []


def test_the_package_maps_the_project_as_recorded(client, rich):
    package = _package(client, "/opendata/oc4ids.json")
    assert package["version"] == "0.9"
    assert package["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["publicationPolicy"] == "http://127.0.0.1:5000/opendata/#policy"
    assert package["uri"] == "http://127.0.0.1:5000/opendata/oc4ids.json"
    assert package["publisher"] == {"name": "pptracker", "uri": "http://127.0.0.1:5000/"}
    project = _project(package, rich.code)
    assert project["identifiers"] == [{"id": "harbour-tunnel", "scheme": "internal"}]
    assert project["title"] == "Harbour Tunnel"
    assert project["purpose"] == "Take lorries out of the old town."
    assert (project["status"], project["type"], project["sector"]) == (
        "implementation",
        "construction",
        ["transport.road"],
    )
    assert project["period"] == {
        "startDate": "2020-01-01T00:00:00Z",
        "endDate": "2045-12-31T00:00:00Z",
    }
    assert project["locations"] == [
        {
            "id": "1",
            "description": "Porto harbour",
            "geometry": {"type": "Point", "coordinates": [Decimal("-8.61"), Decimal("41.14")]},
        }
    ]
    assert project["budget"]["amount"] == {"amount": Decimal("850000000.00"), "currency": "EUR"}
    (breakdown,) = project["budget"]["budgetBreakdowns"][0]["budgetBreakdown"]
    assert breakdown["id"] == "CAP-01"
    assert breakdown["amount"] == {"amount": Decimal("650000000.00"), "currency": "EUR"}
    assert breakdown["sourceParty"]["name"] == "National Infrastructure Fund"

    parties = {p["id"]: p for p in project["parties"]}
    by_name = {p["name"]: p for p in project["parties"]}
    assert project["publicAuthority"] == {
        "id": by_name["Harbour Authority"]["id"],
        "name": "Harbour Authority",
    }
    authority = by_name["Harbour Authority"]
    assert authority["identifier"] == {"scheme": "XX-GOV", "id": "HA-1"}
    assert authority["address"] == {
        "streetAddress": "1 Quay Street",
        "locality": "Porto",
        "postalCode": "4000-001",
        "countryName": "Portugal",
    }
    assert authority["contactPoint"]["email"] == "projects@harbour.example.org"
    assert set(authority["roles"]) == {"publicAuthority", "buyer", "payer", "payee"}
    assert set(by_name["Tunnel SPV S.A."]["roles"]) == {
        "privateParty",
        "supplier",
        "payee",
        "payer",
    }
    assert by_name["Coastal Bank"]["roles"] == ["lender"]
    assert by_name["National Infrastructure Fund"]["roles"] == ["funder"]

    # Every organisation reference resolves to a party.
    references = []

    def collect(node):
        if isinstance(node, dict):
            if set(node) == {"id", "name"} and str(node["id"]).startswith("org-"):
                references.append(node["id"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect({k: v for k, v in project.items() if k != "parties"})
    assert len(references) >= 8
    assert set(references) <= set(parties)

    (process,) = project["contractingProcesses"]
    summary = process["summary"]
    assert summary["externalReference"] == "HT-1"
    # "operation" is not in the closed contractNature list: left out.
    assert summary["nature"] == ["design", "construction"]
    assert summary["status"] == "active"
    assert summary["tender"] == {
        "procurementMethod": "open",
        "procurementMethodDetails": "Competitive dialogue",
        "numberOfTenderers": 3,
        "procuringEntity": {
            "id": by_name["Central Procurement Office"]["id"],
            "name": "Central Procurement Office",
        },
    }
    assert [s["name"] for s in summary["suppliers"]] == ["Tunnel SPV S.A."]
    # The value and period at signature; the changes are modifications.
    assert summary["contractValue"] == {"amount": Decimal("700000000.00"), "currency": "EUR"}
    assert summary["contractPeriod"] == {
        "startDate": "2020-07-01T00:00:00Z",
        "endDate": "2045-06-30T00:00:00Z",
    }
    assert [d["title"] for d in summary["documents"]] == ["Signed concession agreement"]
    assert summary["documents"][0]["url"] == (
        f"http://127.0.0.1:5000/documents/{rich.public_documents[0]}/download"
    )
    (payment,) = summary["transactions"]
    assert payment["value"] == {"amount": Decimal("12500000.00"), "currency": "EUR"}
    assert payment["relatedImplementationMilestone"]["title"] == "Project approved"
    # Project-level money: the receipt, not the commitment (no money moved).
    assert [t["value"]["amount"] for t in project["transactions"]] == [Decimal("250000.00")]


def test_modifications_leave_out_the_confidential_amendment_and_what_it_set(client, rich):
    project = _project(_package(client, "/opendata/oc4ids.json"), rich.code)
    modifications = project["contractingProcesses"][0]["summary"]["modifications"]
    assert [m["id"] for m in modifications] == ["1", "3", "4"]
    first, third, fourth = modifications
    assert first["oldContractValue"]["amount"] == Decimal("700000000.00")
    assert first["newContractValue"]["amount"] == Decimal("720000000.00")
    assert first["description"] == "Second ventilation shaft added."
    # The old value of the third is what the confidential second set: withheld.
    assert "oldContractValue" not in third
    assert third["newContractValue"]["amount"] == Decimal("750000000.00")
    assert third["rationale"] == "Steel prices indexed under clause 14"
    assert fourth["type"] == "duration"
    assert fourth["oldContractPeriod"]["endDate"] == "2045-06-30T00:00:00Z"
    assert fourth["newContractPeriod"]["endDate"] == "2046-06-30T00:00:00Z"


def test_milestones_progress_and_documents(client, rich):
    project = _project(_package(client, "/opendata/oc4ids.json"), rich.code)
    milestones = {m["title"]: m for m in project["milestones"]}
    assert milestones["Project approved"]["status"] == "met"
    assert milestones["Project approved"]["dateMet"] == "2019-11-05T00:00:00Z"
    assert milestones["Tunnel open to traffic"]["status"] == "scheduled"  # in progress
    assert milestones["Tunnel open to traffic"]["dueDate"] == "2025-06-30T00:00:00Z"
    assert "status" not in milestones["Toll plaza (dropped)"]  # cancelled: no OC4IDS code
    (metric,) = project["metrics"]
    assert metric["id"] == "physicalProgress"
    # (1 × 100 + 3 × 40) / 4, the cancelled milestone left out.
    assert metric["observations"][0]["measure"] == Decimal("55.0")
    assert metric["observations"][0]["unit"]["id"] == "P1"
    (forecast,) = project["forecasts"]
    assert [(o["id"], o["measure"]) for o in forecast["observations"]] == [
        ("2019-11-01", Decimal("25.0")),
        ("2025-06-30", Decimal("100.0")),
    ]
    titles = [d["title"] for d in project["documents"]]
    assert titles == ["Environmental impact study", "Project transparency report"]
    assert project["documents"][-1]["url"] == (
        "http://127.0.0.1:5000/projects/harbour-tunnel/report.pdf"
    )
    assert "completion" not in project  # still in implementation


def test_completion_when_the_status_says_so(app, client, make_project, make_milestone):
    make_project("old-road", published=True, status="maintenance")
    make_milestone(
        "old-road",
        title="Road completed",
        type="delivery",
        code="completion",
        actual_date=date(2018, 5, 2),
        status="met",
        percent_complete=100,
    )
    project = _package(client, "/projects/old-road/oc4ids.json")["projects"][0]
    assert project["completion"] == {"endDate": "2018-05-02T00:00:00Z"}


def test_no_confidential_or_unpublished_item_reaches_the_packages(client, rich, hidden):
    full = client.get("/opendata/oc4ids.json").get_data(as_text=True)
    one = client.get(f"/projects/{rich.code}/oc4ids.json").get_data(as_text=True)
    for text in (full, one):
        for secret in (*rich.secrets, "Hidden harbour expansion", "Withdrawn bridge scheme"):
            assert secret not in text
    ids = [p["id"] for p in json.loads(full)["projects"]]
    assert ids == ["oc4ids-pptrak-harbour-tunnel"]


def test_the_prefix_and_addresses_come_from_the_config(app, client, make_project):
    app.config.update(OC4IDS_PREFIX="oc4ids-abc123", PUBLIC_BASE_URL="https://ppp.example.org/")
    make_project("ring", published=True)
    package = _package(client, "/projects/ring/oc4ids.json")
    assert package["projects"][0]["id"] == "oc4ids-abc123-ring"
    assert package["uri"] == "https://ppp.example.org/projects/ring/oc4ids.json"
    assert_valid_oc4ids(_as_numbers(package))
