"""Demand and revenue pages: chart, grid, permissions, conflicts, CSV and audit."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.database import today
from pptracker.extensions import db
from pptracker.operations.models import DemandSeries, DemandValue, Metric

PAGE = "/projects/water-1/operations/demand/"
MANAGE = "/manage/projects/water-1/operations/demand"


def _series_form(contract_id, **overrides):
    data = {
        "contract_id": str(contract_id),
        "metric": "demand",
        "name": "Water sold",
        "unit": "m³",
        "currency": "",
        "description": "",
        "confidential_reason": "",
    }
    data.update(overrides)
    return data


def _grid(version, rows, blank=2):
    data = {"version": str(version)}
    rows = list(rows) + [("", "", "", "")] * blank
    for i, (year, forecast, actual, note) in enumerate(rows):
        data.update(
            {
                f"rows-{i}-year": year,
                f"rows-{i}-forecast": forecast,
                f"rows-{i}-actual": actual,
                f"rows-{i}-note": note,
            }
        )
    return data


def _values(app):
    with app.app_context():
        return db.session.execute(
            sa.select(DemandValue.year, DemandValue.forecast, DemandValue.actual).order_by(
                DemandValue.year
            )
        ).all()


@pytest.fixture
def managed(auth, make_project, make_contract):
    """A signed-in manager, the published project they manage and its contract."""
    manager = auth.login_as(Role.MANAGER)
    make_project("water-1", managers=[manager], published=True)
    return manager, make_contract("water-1")


@pytest.fixture
def public_and_secret(make_project, make_contract, make_demand_series, app):
    """A published project with a public series, a confidential one and a secret contract's."""
    make_project("water-1", published=True)
    contract = make_contract("water-1")
    public = make_demand_series(contract, name="Public traffic", years={2021: ("100", "90")})
    secret = make_demand_series(
        contract,
        name="Secret revenue",
        metric=Metric.REVENUE,
        unit="EUR",
        currency="EUR",
        confidential=True,
        confidential_reason="Lenders' covenant",
        years={2021: ("777777", "666666")},
    )
    hidden = make_contract("water-1", reference="C-2")
    make_demand_series(hidden, name="Hidden series", years={2021: ("1", "1")})
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, hidden.id)
        row.confidential, row.confidential_reason = True, "Under negotiation"
        db.session.commit()
    return public, secret


def test_manager_adds_a_series_and_enters_years_in_the_grid(client, managed, app):
    _manager, contract = managed
    response = client.post(f"{MANAGE}/new", data=_series_form(contract.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        series_id = db.session.scalar(sa.select(DemandSeries.id))
    url = f"{MANAGE}/{series_id}/years"
    form = client.get(url)
    assert form.status_code == 200 and 'name="rows-0-year"' in form.get_data(as_text=True)
    response = client.post(
        url,
        data=_grid(1, [("2021", "1000", "900", "Meter readings"), ("2022", "1100", "1210", "")]),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _values(app) == [
        (2021, Decimal("1000"), Decimal("900")),
        (2022, Decimal("1100"), Decimal("1210")),
    ]
    page = client.get(PAGE).get_data(as_text=True)
    assert '<svg role="img"' in page and "Water sold: forecast against actual" in page
    assert "-100" in page and "-10.0 %" in page and "+10.0 %" in page
    assert "Meter readings" in page
    # The grid comes back with the years recorded, ready to correct.
    text = client.get(url).get_data(as_text=True)
    assert 'value="2021"' in text and 'value="1000"' in text
    with app.app_context():
        types = db.session.scalars(sa.select(AuditEvent.entity_type)).all()
    assert types.count("DemandSeries") >= 1 and types.count("DemandValue") == 2


def test_a_revenue_series_takes_its_currency_as_unit(client, managed, app):
    _manager, contract = managed
    response = client.post(
        f"{MANAGE}/new",
        data=_series_form(contract.id, metric="revenue", name="Toll revenue", unit="", currency=""),
    )
    assert response.status_code == 400
    assert "currency the revenue is counted in" in response.get_data(as_text=True)
    response = client.post(
        f"{MANAGE}/new",
        data=_series_form(contract.id, metric="revenue", name="Toll revenue", currency="EUR"),
    )
    assert response.status_code == 302
    with app.app_context():
        series = db.session.scalar(sa.select(DemandSeries))
        assert series.unit == "EUR" and series.currency == "EUR"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("2019", "10", "", ""), "outside the period of contract C-1"),
        (("2022", "-4", "", ""), "cannot be negative"),
        (("2022", "ten", "", ""), "wrong type"),
        ((str(today().year + 1), "", "5", ""), "has not started yet"),
    ],
)
def test_a_bad_row_answers_400_beside_it_and_saves_nothing(
    client, managed, make_demand_series, app, row, message
):
    _manager, contract = managed
    series_id = make_demand_series(contract)
    response = client.post(
        f"{MANAGE}/{series_id}/years", data=_grid(1, [("2021", "10", "9", ""), row])
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text and "nothing was saved" in text
    assert 'id="rows-1-' in text and "is-invalid" in text
    assert 'value="2021"' in text  # the input is kept
    assert _values(app) == []


def test_revenue_with_three_decimals_is_refused(client, managed, make_demand_series, app):
    _manager, contract = managed
    series_id = make_demand_series(
        contract, metric=Metric.REVENUE, name="Revenue", unit="EUR", currency="EUR"
    )
    response = client.post(
        f"{MANAGE}/{series_id}/years", data=_grid(1, [("2021", "1000.125", "", "")])
    )
    assert response.status_code == 400
    assert "at most 2 decimals" in response.get_data(as_text=True)
    assert _values(app) == []


def test_a_stale_grid_answers_409_and_keeps_the_input(client, managed, make_demand_series, app):
    _manager, contract = managed
    series_id = make_demand_series(contract)
    url = f"{MANAGE}/{series_id}/years"
    assert client.post(url, data=_grid(1, [("2021", "10", "", "")])).status_code == 302
    response = client.post(url, data=_grid(1, [("2021", "99", "", "Stale")]))
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "Someone else changed" in text and 'value="99"' in text
    assert _values(app) == [(2021, Decimal("10"), None)]


def test_a_stale_series_edit_answers_409(client, managed, make_demand_series, app):
    _manager, contract = managed
    series_id = make_demand_series(contract)
    url = f"{MANAGE}/{series_id}/edit"
    form = _series_form(contract.id, name="Traffic A", unit="trips", version="1")
    assert client.post(url, data=form).status_code == 302
    form = _series_form(contract.id, name="Traffic B", unit="trips", version="1")
    response = client.post(url, data=form)
    assert response.status_code == 409
    assert "Now saved as: Traffic A" in response.get_data(as_text=True)


def test_delete_a_year_and_a_series(client, managed, make_demand_series, app):
    _manager, contract = managed
    series_id = make_demand_series(contract, years={2021: ("1", "1"), 2022: ("2", None)})
    with app.app_context():
        value_id = db.session.scalar(sa.select(DemandValue.id).where(DemandValue.year == 2021))
    response = client.post(f"{MANAGE}/{series_id}/years/{value_id}/delete")
    assert response.status_code == 302
    assert [v.year for v in _values(app)] == [2022]
    assert client.post(f"{MANAGE}/{series_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(DemandSeries, series_id).is_deleted
        actions = db.session.execute(
            sa.select(AuditEvent.entity_type, AuditEvent.action).where(
                AuditEvent.action == "delete"
            )
        ).all()
    assert ("DemandValue", "delete") in actions
    assert f'id="series-{series_id}"' not in client.get(PAGE).get_data(as_text=True)


def test_the_public_sees_public_series_and_redaction_notices_only(client, public_and_secret, app):
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Public traffic" in text and 'role="img"' in text
    assert "Secret revenue" not in text and "777,777" not in text
    assert "Hidden series" not in text and "C-2" not in text
    assert "Withheld" in text and "Lenders&#39; covenant" in text and "Under negotiation" in text
    csv_text = client.get("/projects/water-1/operations/demand.csv").get_data(as_text=True)
    assert "Public traffic" in csv_text
    assert "Secret revenue" not in csv_text and "Hidden series" not in csv_text
    with app.app_context():
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "demand.export"))
    assert event is not None and "1 year" in event.summary


def test_an_auditor_reads_everything_and_changes_nothing(client, auth, public_and_secret, app):
    public, secret = public_and_secret
    auth.login_as(Role.AUDITOR)
    text = client.get(PAGE).get_data(as_text=True)
    assert "Secret revenue" in text and "Hidden series" in text
    csv_text = client.get("/projects/water-1/operations/demand.csv").get_data(as_text=True)
    assert "Secret revenue" in csv_text
    assert client.get(f"{MANAGE}/{public}/years").status_code == 403
    assert client.post(f"{MANAGE}/{public}/years", data=_grid(1, [])).status_code == 403
    assert client.post(f"{MANAGE}/{secret}/delete").status_code == 403


def test_another_projects_manager_is_refused(client, auth, public_and_secret):
    public, _secret = public_and_secret
    auth.login_as(Role.MANAGER)
    assert client.get(f"{MANAGE}/new").status_code == 403
    assert client.post(f"{MANAGE}/{public}/years", data=_grid(1, [])).status_code == 403
    assert client.get(f"{MANAGE}/import").status_code == 403
    assert "Secret revenue" not in client.get(PAGE).get_data(as_text=True)


# --- CSV import ---------------------------------------------------------------------------

HEADER = "contract_reference,series_name,year,forecast,actual,note\n"


def _upload(client, text: str):
    return client.post(
        f"{MANAGE}/import",
        data={"file": (io.BytesIO(text.encode()), "years.csv")},
        content_type="multipart/form-data",
    )


def test_a_csv_of_years_is_imported(client, managed, make_demand_series, app):
    _manager, contract = managed
    make_demand_series(contract, name="Traffic", years={2021: ("1", None)})
    template = client.get(f"{MANAGE}/template.csv")
    assert template.status_code == 200 and "series_name" in template.get_data(as_text=True)
    response = _upload(client, HEADER + "C-1,Traffic,2021,1,2,\nc-1,traffic,2022,3,,Forecast\n")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _values(app) == [(2021, Decimal("1"), Decimal("2")), (2022, Decimal("3"), None)]
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "demand.import" in actions


def test_a_csv_with_any_bad_row_imports_nothing(client, managed, make_demand_series, app):
    _manager, contract = managed
    make_demand_series(contract, name="Traffic")
    response = _upload(
        client,
        HEADER
        + "C-1,Traffic,2021,100,90,fine\n"
        + "C-1,Nope,2022,1,,\n"
        + "C-1,Traffic,2019,1,,\n"
        + "C-1,Traffic,2023,-1,,\n"
        + "C-1,Traffic,2021,5,,twice\n",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Nothing was imported" in text
    assert "no series named" in text
    assert "outside the period" in text
    assert "cannot be negative" in text
    assert "given twice" in text
    assert _values(app) == []


def _statements(app, client, url) -> int:
    count = []
    with app.app_context():
        engine = db.engine

    def listener(*_args):
        count.append(1)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(count)


def test_the_page_takes_a_constant_number_of_statements(
    client, managed, make_demand_series, make_contract, app
):
    _manager, contract = managed
    make_demand_series(contract, name="S-1", years={2021: ("1", "2")})
    before = _statements(app, client, PAGE)
    other = make_contract("water-1", reference="C-2")
    for n in range(2, 6):
        make_demand_series(
            other if n % 2 else contract, name=f"S-{n}", years={2021: ("1", "2"), 2022: ("3", None)}
        )
    after = _statements(app, client, PAGE)
    assert before == after
