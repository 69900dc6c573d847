"""KPI observation CSV: the template, the export (public rows only), the all-or-nothing import."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.operations.models import KpiObservation, PerformanceFailure

CODE = "road-1"
IMPORT = f"/manage/projects/{CODE}/operations/kpis/import"
EXPORT = f"/projects/{CODE}/operations/kpi-observations.csv"
HEADER = "contract_reference,kpi_code,period,value,events,source,note\n"


@pytest.fixture
def world(app, auth, make_project, make_contract, make_kpi):
    """A published project: contract C-1 (KPI AV-1, ≥ 98 %) and confidential C-2 (KPI SEC-1)."""
    manager = auth.login_as(Role.MANAGER)
    make_project(CODE, managers=[manager], published=True)
    contract = make_contract(CODE)
    secret = make_contract(CODE, reference="C-2")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, secret.id)
        row.confidential, row.confidential_reason = True, "Commercially sensitive"
        db.session.commit()
    make_kpi(contract)
    make_kpi(
        contract,
        code="RQ-1",
        name="Potholes",
        unit="count",
        comparison="atMost",
        target=Decimal("3"),
        frequency="quarterly",
    )
    make_kpi(secret, code="SEC-1", name="Secret KPI")
    return contract


def _upload(client, text: str):
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(text.encode()), "kpis.csv", "text/csv")},
        content_type="multipart/form-data",
    )


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_template_downloads(client, world):
    response = client.get("/operations/kpi-observations-template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith(HEADER.strip())


def test_import_records_every_row_and_audits(client, world, app):
    text = (
        HEADER
        + "C-1,AV-1,2025-01,99,,,\n"
        + "C-1,av-1,2025-02,96,2,independentEngineer,Lane closures\n"
        + "C-1,RQ-1,2025-Q1,2,,,\n"
        + "C-2,SEC-1,2025-01,90,,,\n"
    )
    response = _upload(client, text)
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 observations imported; 2 failed." in page
    assert _count(app, KpiObservation) == 4
    with app.app_context():
        penalties = sorted(
            db.session.scalars(sa.select(PerformanceFailure.penalty_contracted)).all()
        )
        assert penalties == [Decimal("500.00"), Decimal("1000.00")]
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.action == "kpi_observations.import")
            )
            == 1
        )
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.entity_type == "KpiObservation")
            )
            == 4
        )


def test_import_is_all_or_nothing_with_row_and_column_errors(client, world, app):
    text = (
        HEADER
        + "C-1,AV-1,2025-01,99,,,\n"
        + "C-9,AV-1,2025-01,99,,,\n"
        + "C-1,XX-1,2025-01,99,,,\n"
        + "C-1,AV-1,2025-02,2.5.1,,,\n"
        + "C-1,RQ-1,2025-Q1,2.5,,,\n"
        + "C-1,AV-1,2025-03,97,-1,,\n"
        + "C-1,AV-1,2019-03,97,,,\n"
        + "C-1,AV-1,2025-01,97,,,\n"
        + "C-1,AV-1,2025-04,97,,robot,\n"
    )
    response = _upload(client, text)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    expected = [
        ("3", "contract_reference", "No contract of this project has the reference"),
        ("4", "kpi_code", "has no KPI with the code"),
        ("5", "value", "is not a number"),
        ("6", "value", "does not fit this KPI"),
        ("7", "events", "cannot be negative"),
        ("8", "period", "outside the period of contract C-1"),
        ("9", "period", "Row 2 already gives KPI AV-1 for 2025-01"),
        ("10", "source", "is not a source"),
    ]
    for row, column, words in expected:
        assert f"<td>{row}</td>" in page and f"<code>{column}</code>" in page, row
        assert words in page, words
    assert _count(app, KpiObservation) == 0 and _count(app, PerformanceFailure) == 0


def test_import_refuses_a_bad_header(client, world, app):
    response = _upload(client, "contract_reference,kpi_code,value\nC-1,AV-1,99\n")
    assert response.status_code == 400
    assert "missing: period, events, source, note" in response.get_data(as_text=True)
    assert _count(app, KpiObservation) == 0


def test_export_shows_public_rows_only_to_the_public_and_round_trips(client, world, app, auth):
    _upload(client, HEADER + "C-1,AV-1,2025-01,96,2,,\nC-2,SEC-1,2025-01,90,,,\n")
    full = client.get(EXPORT).get_data(as_text=True)
    assert "SEC-1" in full and "Failed" in full and "1000.00" in full
    auth.logout()
    response = client.get(EXPORT)
    assert response.status_code == 200
    public = response.get_data(as_text=True)
    assert "AV-1" in public and "SEC-1" not in public and "C-2" not in public
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.action == "kpi_observations.export")
            )
            == 2
        )
    # the export's extra columns are ignored on import (here: a duplicate period)
    auth.login_as(Role.ADMIN)
    response = _upload(client, public.lstrip("\ufeff"))
    assert response.status_code == 400
    assert "already has an observation for 2025-01" in response.get_data(as_text=True)
