"""KPI pages: who sees and records what, the forms, bad input, conflicts, audit, bulk entry."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.operations.models import Kpi, KpiObservation, PerformanceFailure

CODE = "road-1"
PAGE = f"/projects/{CODE}/operations/kpis/"
FAILURES = f"/projects/{CODE}/operations/failures/"
MANAGE = f"/manage/projects/{CODE}/operations"


def _kpi_form(contract_id, **overrides):
    data = {
        "contract_id": str(contract_id),
        "code": "RQ-1",
        "name": "Ride quality",
        "description": "",
        "category": "serviceQuality",
        "unit": "count",
        "comparison": "atMost",
        "target": "3",
        "frequency": "monthly",
        "source": "independentEngineer",
        "deduction_rule": "",
        "deduction_basis": "amount",
        "deduction_amount": "250.00",
        "deduction_percent": "",
        "confidential_reason": "",
    }
    data.update(overrides)
    return data


def _obs_form(**overrides):
    data = {"period": "2025-03", "value": "97", "events": "", "source": "", "note": ""}
    data.update(overrides)
    return data


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _live_failures(app):
    with app.app_context():
        return db.session.scalars(
            sa.select(PerformanceFailure).where(PerformanceFailure.is_deleted.is_(False))
        ).all()


@pytest.fixture
def world(app, auth, make_project, make_contract, make_kpi):
    """A published project with a public contract (KPI AV-1) and a confidential one (SEC-1).

    Returns (manager, contract, kpi_id, secret_kpi_id); the manager is signed in.
    """
    manager = auth.login_as(Role.MANAGER)
    make_project(CODE, managers=[manager], published=True)
    contract = make_contract(CODE)
    secret = make_contract(CODE, reference="C-2")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, secret.id)
        row.confidential, row.confidential_reason = True, "Commercially sensitive"
        db.session.commit()
    kpi_id = make_kpi(contract)
    secret_kpi = make_kpi(secret, code="SEC-1", name="Secret response time")
    return manager, contract, kpi_id, secret_kpi


def _observe(client, kpi_id, **overrides):
    return client.post(f"{MANAGE}/kpis/{kpi_id}/observations/new", data=_obs_form(**overrides))


# --- reading ------------------------------------------------------------------------------


def test_public_sees_public_kpis_and_a_redaction_notice(client, world, auth):
    _manager, _contract, kpi_id, secret_kpi = world
    assert _observe(client, kpi_id, value="96", events="2").status_code == 302
    assert _observe(client, secret_kpi, value="90").status_code == 302
    client.get(PAGE)  # shows (and so clears) the flashed messages
    auth.logout()
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "AV-1 – Lane availability" in text
    assert "Failed" in text and "at least 98 %" in text
    assert "500.00 EUR per failure event" in text
    assert "SEC-1" not in text and "Secret response time" not in text
    assert "Withheld:</strong> 1 KPI is confidential. Reason: Commercially sensitive" in text
    assert "Withheld:</strong> 1 performance failure is confidential." in text
    assert "1,000.00 EUR" in text  # the public failure's penalty total
    assert "Add a KPI" not in text and "Record a period" not in text
    assert client.get(f"{PAGE}{kpi_id}").status_code == 200
    assert client.get(f"{PAGE}{secret_kpi}").status_code == 404
    failures = client.get(FAILURES).get_data(as_text=True)
    assert "C-2" not in failures and "Withheld:</strong>" in failures


def test_manager_and_auditor_see_everything(client, world, auth):
    _manager, _contract, _kpi_id, secret_kpi = world
    text = client.get(PAGE).get_data(as_text=True)
    assert "SEC-1" in text and "Add a KPI" in text and "Import CSV" in text
    auth.logout()
    auth.login_as(Role.AUDITOR)
    text = client.get(PAGE).get_data(as_text=True)
    assert "SEC-1" in text and "Add a KPI" not in text
    assert client.get(f"{PAGE}{secret_kpi}").status_code == 200
    assert client.get(f"{MANAGE}/kpis/new").status_code == 403
    assert _observe(client, secret_kpi, value="99").status_code == 403


def test_manager_of_another_project_and_anonymous_cannot_write(client, world, auth, make_project):
    _manager, _contract, kpi_id, _secret = world
    auth.logout()
    other = auth.login_as(Role.MANAGER)
    make_project("other", managers=[other], published=True)
    assert client.get(f"{MANAGE}/kpis/new").status_code == 403
    assert _observe(client, kpi_id).status_code == 403
    assert client.get(f"{MANAGE}/kpis/record").status_code == 403
    assert client.post(f"{MANAGE}/failures/new", data={}).status_code == 403
    # they read it like the public
    assert "SEC-1" not in client.get(PAGE).get_data(as_text=True)
    auth.logout()
    assert client.get(f"{MANAGE}/kpis/new").status_code in (302, 401)
    assert _observe(client, kpi_id).status_code in (302, 401)


# --- KPIs ---------------------------------------------------------------------------------


def test_manager_adds_edits_and_deletes_a_kpi(client, world, app):
    _manager, contract, _kpi_id, _secret = world
    response = client.post(f"{MANAGE}/kpis/new", data=_kpi_form(contract.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        kpi = db.session.scalar(sa.select(Kpi).where(Kpi.code == "RQ-1"))
        kpi_id, version = kpi.id, kpi.version
        assert kpi.deduction_amount == Decimal("250.00")
    edit = f"{MANAGE}/kpis/{kpi_id}/edit"
    assert client.get(edit).status_code == 200
    response = client.post(edit, data=_kpi_form(contract.id, target="2", version=version))
    assert response.status_code == 302
    stale = client.post(edit, data=_kpi_form(contract.id, target="5", version=version))
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.get_data(as_text=True)
    assert client.post(f"{MANAGE}/kpis/{kpi_id}/delete").status_code == 302
    assert _count(app, Kpi, Kpi.is_deleted.is_(False)) == 2
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(
                AuditEvent.entity_type == "Kpi", AuditEvent.entity_id == kpi_id
            )
        ).all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target": "2.5"}, "a whole number, 0 or more"),
        ({"unit": "percent", "target": "130"}, "a percentage from 0 to 100"),
        ({"code": "AV-1"}, "already has a KPI with the code AV-1"),
        ({"deduction_amount": ""}, "needs the amount per failure event"),
        ({"confidential": "y"}, "Say why this is confidential"),
    ],
)
def test_bad_kpi_input_is_refused(client, world, app, overrides, message):
    _manager, contract, _kpi_id, _secret = world
    response = client.post(f"{MANAGE}/kpis/new", data=_kpi_form(contract.id, **overrides))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text and message in text
    assert _count(app, Kpi) == 2


# --- observations -------------------------------------------------------------------------


def test_failed_observation_shows_failed_and_its_deduction(client, world, app):
    _manager, _contract, kpi_id, _secret = world
    assert client.get(f"{MANAGE}/kpis/{kpi_id}/observations/new").status_code == 200
    response = _observe(client, kpi_id, value="96.5", events="2", note="Lane 2 closed")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    text = page.get_data(as_text=True)
    assert "Failed, deduction 1,000.00 EUR" in text
    assert "96.5 %" in text and "Failed" in text and "1,000.00 EUR" in text
    [failure] = _live_failures(app)
    assert failure.penalty_contracted == Decimal("1000.00")
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.entity_type == "KpiObservation")
        )
        assert db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.entity_type == "PerformanceFailure")
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"value": "ninety"}, "is not a number"),
        ({"value": "130"}, "a percentage from 0 to 100"),
        ({"events": "-2"}, "cannot be negative"),
        ({"period": "2019-01"}, "outside the period of contract C-1"),
        ({"period": "2025-Q1"}, "written like 2025-03"),
        ({"value": "99", "events": "1"}, "a met KPI has no failure events"),
    ],
)
def test_bad_observation_input_changes_nothing(client, world, app, overrides, message):
    _manager, _contract, kpi_id, _secret = world
    response = _observe(client, kpi_id, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, KpiObservation) == 0 and _count(app, PerformanceFailure) == 0


def test_duplicate_period_points_to_edit(client, world):
    _manager, _contract, kpi_id, _secret = world
    assert _observe(client, kpi_id, value="99").status_code == 302
    response = _observe(client, kpi_id, value="97")
    assert response.status_code == 400
    assert "already has an observation for 2025-03: edit that one" in response.get_data(
        as_text=True
    )


def test_observation_with_evidence(client, world, app):
    _manager, _contract, kpi_id, _secret = world
    data = _obs_form(value="97")
    data["evidence"] = (
        io.BytesIO(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
        "ie-report.pdf",
        "application/pdf",
    )
    data["evidence_type"] = "oversightReport"
    data["evidence_public"] = "y"
    response = client.post(
        f"{MANAGE}/kpis/{kpi_id}/observations/new", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        from pptracker.documents.models import Document

        doc = db.session.scalar(sa.select(Document))
        assert doc.kpi_observation_id is not None and doc.document_type == "oversightReport"
        doc_id = doc.id
    text = client.get(f"{PAGE}{kpi_id}").get_data(as_text=True)
    assert f"/documents/{doc_id}/download" in text


def test_edit_observation_conflict_and_transitions(client, world, app):
    _manager, _contract, kpi_id, _secret = world
    _observe(client, kpi_id, value="97")
    with app.app_context():
        obs = db.session.scalar(sa.select(KpiObservation))
        obs_id, version = obs.id, obs.version
    edit = f"{MANAGE}/observations/{obs_id}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="2025-03"' in form and 'value="97"' in form
    response = client.post(edit, data=_obs_form(value="99", version=version))
    assert response.status_code == 302
    assert _live_failures(app) == []
    stale = client.post(edit, data=_obs_form(value="90", version=version))
    assert stale.status_code == 409
    assert _live_failures(app) == []


def test_delete_observation_refused_when_penalty_paid(client, world, app):
    _manager, _contract, kpi_id, _secret = world
    _observe(client, kpi_id, value="90")
    [failure] = _live_failures(app)
    with app.app_context():
        row = db.session.get(PerformanceFailure, failure.id)
        row.penalty_paid = Decimal("100.00")
        obs_id = row.observation_id
        db.session.commit()
    response = client.post(f"{MANAGE}/observations/{obs_id}/delete", follow_redirects=True)
    assert "already been paid" in response.get_data(as_text=True)
    assert _count(app, KpiObservation) == 1
    with app.app_context():
        db.session.get(PerformanceFailure, failure.id).penalty_paid = Decimal("0.00")
        db.session.commit()
    response = client.post(f"{MANAGE}/observations/{obs_id}/delete", follow_redirects=True)
    assert "Observation deleted" in response.get_data(as_text=True)
    assert _count(app, KpiObservation) == 0 and _live_failures(app) == []


# --- a period at once ---------------------------------------------------------------------


def test_record_a_month_with_one_failure(client, world, app, make_kpi):
    _manager, contract, kpi_id, _secret = world
    second = make_kpi(contract, code="AV-2", name="Toll plaza availability")
    third = make_kpi(contract, code="AV-3", name="Lighting")
    record = f"{MANAGE}/kpis/record"
    assert "Choose the contract" in client.get(record).get_data(as_text=True)
    query = f"{record}?contract_id={contract.id}&frequency=monthly&period=2025-03"
    page = client.get(query)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'for="value-{second}"' in text and "Lane availability" in text
    bad = client.post(
        query,
        data={f"value-{kpi_id}": "99", f"value-{second}": "150", f"value-{third}": ""},
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Nothing was recorded" in text and "a percentage from 0 to 100" in text
    assert 'value="150"' in text
    assert _count(app, KpiObservation) == 0
    good = client.post(
        query,
        data={
            f"value-{kpi_id}": "99",
            f"value-{second}": "97",
            f"events-{second}": "1",
            f"value-{third}": "98",
        },
        follow_redirects=True,
    )
    text = good.get_data(as_text=True)
    assert "3 observations recorded for 2025-03; 1 failed: deduction 500.00 EUR" in text
    assert _count(app, KpiObservation) == 3
    again = client.get(query).get_data(as_text=True)
    assert "Already recorded" in again and "Failed" in again


def test_record_period_refuses_a_period_outside_the_contract(client, world):
    _manager, contract, _kpi_id, _secret = world
    response = client.get(
        f"{MANAGE}/kpis/record?contract_id={contract.id}&frequency=monthly&period=2041-01"
    )
    assert response.status_code == 400
    assert "outside the period of contract C-1" in response.get_data(as_text=True)


# --- failures -----------------------------------------------------------------------------


def _failure_form(contract_id, **overrides):
    data = {
        "contract_id": str(contract_id),
        "category": "safety",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "events": "2",
        "penalty_contracted": "1000.00",
        "penalty_imposed": "800.00",
        "penalty_paid": "0.00",
        "description": "Guard rail not repaired",
    }
    data.update(overrides)
    return data


def test_manual_failures_by_form(client, world, app):
    _manager, contract, kpi_id, _secret = world
    response = client.post(f"{MANAGE}/failures/new", data=_failure_form(contract.id))
    assert response.status_code == 302
    bad = client.post(
        f"{MANAGE}/failures/new", data=_failure_form(contract.id, penalty_paid="900.00")
    )
    assert bad.status_code == 400
    assert "cannot be more than the penalty imposed" in bad.get_data(as_text=True)
    negative = client.post(f"{MANAGE}/failures/new", data=_failure_form(contract.id, events="-1"))
    assert negative.status_code == 400 and "cannot be negative" in negative.get_data(as_text=True)
    [failure] = _live_failures(app)
    edit = f"{MANAGE}/failures/{failure.id}/edit"
    response = client.post(edit, data=_failure_form(contract.id, events="3", version=1))
    assert response.status_code == 302
    stale = client.post(edit, data=_failure_form(contract.id, events="4", version=1))
    assert stale.status_code == 409
    text = client.get(FAILURES + "?year=2025").get_data(as_text=True)
    assert "Guard rail not repaired" in text and "800.00 EUR" in text
    assert "Guard rail" not in client.get(FAILURES + "?year=2024").get_data(as_text=True)
    assert client.post(f"{MANAGE}/failures/{failure.id}/delete").status_code == 302
    assert _live_failures(app) == []


def test_failure_from_observation_edits_only_amounts(client, world, app):
    _manager, _contract, kpi_id, _secret = world
    _observe(client, kpi_id, value="90")
    [failure] = _live_failures(app)
    edit = f"{MANAGE}/failures/{failure.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert "correct the observation" in page and 'name="events"' not in page
    response = client.post(
        edit,
        data={
            "penalty_imposed": "300.00",
            "penalty_paid": "300.00",
            "description": "Reduced on appeal",
            "version": failure.version,
        },
    )
    assert response.status_code == 302
    [failure] = _live_failures(app)
    assert failure.penalty_imposed == Decimal("300.00")
    assert failure.penalty_contracted == Decimal("500.00")
    response = client.post(f"{MANAGE}/failures/{failure.id}/delete", follow_redirects=True)
    assert "delete or correct the observation" in response.get_data(as_text=True)
    assert len(_live_failures(app)) == 1
