"""The open data tables: columns and values as in the database, nothing withheld, CSV = JSON."""

import csv
import io
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.budgets.models import Transaction
from pptracker.extensions import db
from pptracker.milestones.models import Milestone
from pptracker.opendata.tables import TABLES

NAMES = sorted(TABLES)


def _csv(client, name):
    response = client.get(f"/opendata/{name}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    text = response.get_data(as_text=True)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def _json(client, name):
    response = client.get(f"/opendata/{name}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True), parse_float=Decimal)


@pytest.mark.parametrize("name", NAMES)
def test_csv_and_json_have_the_documented_fields_and_the_same_rows(client, rich, name):
    header, rows = _csv(client, name)
    objects = _json(client, name)
    assert header == TABLES[name].header
    assert rows, name
    assert len(objects) == len(rows)
    for row, obj in zip(rows, objects, strict=True):
        assert list(obj) == header
        assert row["project_code"] == obj["project_code"] == "harbour-tunnel"
        assert row["oc4ids_id"] == obj["oc4ids_id"] == "oc4ids-pptrak-harbour-tunnel"
        for key, value in obj.items():
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
            assert row[key] == str(text), (name, key)


def test_the_projects_table_matches_the_database(client, rich, hidden):
    _header, rows = _csv(client, "projects")
    (row,) = rows  # the unpublished and the deleted project are not there
    assert row["title"] == "Harbour Tunnel"
    assert row["public_authority"] == "Harbour Authority"
    assert row["private_party"] == "Tunnel SPV S.A."
    assert (row["latitude"], row["longitude"]) == ("41.14", "-8.61")
    assert (row["budget_amount"], row["currency"]) == ("850000000.00", "EUR")
    assert (row["planned_start"], row["planned_end"]) == ("2020-01-01", "2045-12-31")
    assert row["url"] == "http://127.0.0.1:5000/projects/harbour-tunnel"
    assert row["published_at"].endswith("Z")
    (obj,) = _json(client, "projects")
    assert obj["budget_amount"] == Decimal("850000000.00")
    assert obj["latitude"] == Decimal("41.14")


def test_the_milestones_table_matches_the_database(app, client, rich):
    _header, rows = _csv(client, "milestones")
    with app.app_context():
        ids = db.session.scalars(sa.select(Milestone.id).order_by(Milestone.id)).all()
    assert sorted(int(r["milestone_id"]) for r in rows) == ids
    by_title = {r["title"]: r for r in rows}
    tunnel = by_title["Tunnel open to traffic"]
    assert tunnel["contract_reference"] == "HT-1"
    assert (tunnel["baseline_date"], tunnel["forecast_date"], tunnel["actual_date"]) == (
        "2025-06-30",
        "2026-06-30",
        "",
    )
    assert (tunnel["status"], tunnel["percent_complete"], tunnel["weight"]) == (
        "inProgress",
        "40",
        "3",
    )
    assert (tunnel["planned_value"], tunnel["currency"]) == ("600000000.00", "EUR")
    assert by_title["Toll plaza (dropped)"]["status"] == "cancelled"


def test_the_contracts_table_shows_public_contracts_and_withholds_what_a_secret_amendment_set(
    client, rich
):
    _header, rows = _csv(client, "contracts")
    (row,) = rows
    assert row["reference"] == "HT-1"
    assert row["nature"] == "design construction operation"
    assert (row["procurement_method"], row["number_of_tenderers"]) == ("open", "3")
    assert row["suppliers"] == "Tunnel SPV S.A."
    assert row["procuring_entity"] == "Central Procurement Office"
    assert (row["initial_value"], row["initial_end"]) == ("700000000.00", "2045-06-30")
    # A confidential amendment set the value: the current value is withheld, and says so.
    assert (row["current_value"], row["value_withheld"]) == ("", "true")
    assert (row["current_end"], row["period_withheld"]) == ("2046-06-30", "false")
    assert row["amendments"] == "3"


def test_the_amendments_table_leaves_out_the_confidential_ones_and_what_they_set(client, rich):
    _header, rows = _csv(client, "amendments")
    assert [(r["contract_reference"], r["number"]) for r in rows] == [
        ("HT-1", "1"),
        ("HT-1", "3"),
        ("HT-1", "4"),
    ]
    first, third, fourth = rows
    assert (first["old_value"], first["new_value"], first["old_value_withheld"]) == (
        "700000000.00",
        "720000000.00",
        "false",
    )
    assert first["approved_by"] == "Council of Ministers"
    assert (third["old_value"], third["new_value"], third["old_value_withheld"]) == (
        "",
        "750000000.00",
        "true",
    )
    assert (fourth["type"], fourth["old_end"], fourth["new_end"]) == (
        "duration",
        "2045-06-30",
        "2046-06-30",
    )


def test_the_transactions_table_leaves_out_those_of_a_confidential_contract(app, client, rich):
    _header, rows = _csv(client, "transactions")
    with app.app_context():
        secret_ids = set(
            db.session.scalars(
                sa.select(Transaction.id).where(Transaction.contract_id == rich.secret_contract)
            )
        )
    assert secret_ids
    assert not secret_ids & {int(r["transaction_id"]) for r in rows}
    by_kind = {r["kind"]: r for r in rows}
    assert sorted(by_kind) == ["commitment", "payment", "receipt"]
    payment = by_kind["payment"]
    assert (payment["date"], payment["amount"], payment["currency"]) == (
        "2023-03-01",
        "12500000.00",
        "EUR",
    )
    assert (payment["rate"], payment["project_amount"]) == ("1", "12500000.00")
    assert (payment["contract_reference"], payment["budget_line_code"]) == ("HT-1", "CAP-01")
    assert payment["milestone_title"] == "Project approved"
    assert (payment["payer"], payment["payee"]) == ("Harbour Authority", "Tunnel SPV S.A.")
    assert (payment["reference"], payment["description"]) == (
        "PC-001",
        "Availability payment, March 2023",
    )


def test_no_table_holds_a_confidential_or_unpublished_item(client, rich, hidden):
    for name in NAMES:
        for fmt in ("csv", "json"):
            text = client.get(f"/opendata/{name}.{fmt}").get_data(as_text=True)
            for secret in (*rich.secrets, "Hidden harbour expansion", "Withdrawn bridge scheme"):
                assert secret not in text, (name, fmt, secret)
            assert "hidden-harbour" not in text and "gone-bridge" not in text


def test_tables_without_rows_have_their_header(client):
    header, rows = _csv(client, "transactions")
    assert header == TABLES["transactions"].header and rows == []
    assert _json(client, "transactions") == []


@pytest.mark.parametrize(
    "url", ["/opendata/parties.csv", "/opendata/users.json", "/opendata/projects.xml"]
)
def test_an_unknown_table_is_not_found(client, url):
    assert client.get(url).status_code == 404
