"""Milestone CSV: the template, export, the all-or-nothing import and who may use them."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.database import today
from pptracker.extensions import db
from pptracker.milestones import csvio
from pptracker.milestones.csvio import COLUMNS, RowError
from pptracker.milestones.models import Milestone
from pptracker.projects.queries import get_project

IMPORT = "/manage/projects/{}/milestones/import"

GOOD = {
    "title": "Commercial close",
    "type": "contractClose",
    "code": "commercialClose",
    "description": "Signed, with a comma",
    "contract_reference": "",
    "baseline_date": "2025-06-30",
    "forecast_date": "2025-08-31",
    "actual_date": "",
    "status": "inProgress",
    "percent_complete": "40",
    "weight": "2",
    "planned_value": "1000.50",
}


def _csv(*rows: dict, header=COLUMNS, bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def _row(**overrides) -> dict:
    return {**GOOD, **overrides}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Milestone))


def _import(app, code, data: bytes, actor=None):
    with app.app_context():
        result = csvio.import_milestones(get_project(code), data, actor=actor)
        if result.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return result


def _post(client, code, data: bytes, filename="milestones.csv"):
    return client.post(
        IMPORT.format(code),
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _snapshot(app, code):
    """Return the project's milestones as comparable tuples, in export order."""
    with app.app_context():
        return [
            (
                m.title,
                m.type,
                m.code,
                m.description,
                m.contract.reference if m.contract else None,
                m.baseline_date,
                m.forecast_date,
                m.actual_date,
                m.status,
                m.percent_complete,
                m.weight,
                m.planned_value,
            )
            for m in csvio.project_milestones(get_project(code))
        ]


@pytest.fixture
def manager_project(auth, make_project):
    """Sign in a manager and give them the project ``metro-line``."""
    manager = auth.login_as(Role.MANAGER)
    make_project("metro-line", managers=[manager])
    return manager


# --- the template and the round trip ---------------------------------------------------------


def test_template_has_every_column_and_imports_cleanly(app, make_project):
    make_project("metro-line")
    text = csvio.template_csv()
    assert text.startswith("\ufeff")
    header, example = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == COLUMNS
    with app.app_context():
        milestones, errors = csvio.parse(text.encode("utf-8"), get_project("metro-line"))
    assert errors == []
    assert [m.title for m in milestones] == [example[0]]
    result = _import(app, "metro-line", text.encode("utf-8"))
    assert result.ok and len(result.created) == 1
    assert _count(app) == 1


def test_template_download_needs_an_editor(client, auth):
    assert client.get("/milestones/template.csv").status_code == 302  # to sign in
    auth.login_as(Role.AUDITOR)
    assert client.get("/milestones/template.csv").status_code == 403
    auth.logout()
    auth.login_as(Role.MANAGER)
    response = client.get("/milestones/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith(",".join(COLUMNS))


def test_export_then_import_gives_the_same_milestones(
    app, client, manager_project, make_project, make_contract, make_milestone
):
    make_project("tram-line", managers=[manager_project])
    contract_id = make_contract("metro-line", reference="DBFM-2020/1").id
    make_contract("tram-line", reference="DBFM-2020/1")
    make_milestone(
        "metro-line",
        title="Financial close",
        type="financing",
        code="financialClose",
        description='Lenders\' CPs met, "first" drawdown;\nsecond line',
        contract_id=contract_id,
        baseline_date=date(2021, 3, 1),
        forecast_date=date(2021, 9, 1),
        actual_date=date(2021, 10, 1),
        status="met",
        percent_complete=100,
        weight=3,
        planned_value=Decimal("2500000.25"),
    )
    make_milestone("metro-line", title='=HYPERLINK("x") looks like a formula')
    make_milestone("metro-line", title="Élan – Ωmega ✓", baseline_date=date(2030, 1, 31))

    response = client.get("/projects/metro-line/milestones.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="metro-line-milestones.csv"' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    assert "'=HYPERLINK" in body.decode("utf-8")  # neutralised for spreadsheets

    response = _post(client, "tram-line", body)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/projects/tram-line/milestones/")
    assert _snapshot(app, "tram-line") == _snapshot(app, "metro-line")
    assert len(_snapshot(app, "tram-line")) == 3


def test_import_page_flashes_and_records(app, client, manager_project):
    response = client.get(IMPORT.format("metro-line"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "<caption>Columns of the milestone CSV</caption>" in page

    response = _post(client, "metro-line", _csv(_row(), _row(title="Completion")))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 milestones imported" in page
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "milestones.import" in actions
    assert actions.count("create") >= 2


def test_blank_lines_and_bom_and_column_order_are_accepted(app, make_project):
    make_project("metro-line")
    header = list(reversed(COLUMNS))
    data = _csv(_row(), {}, _row(title="Second", status=""), header=header, bom=True)
    result = _import(app, "metro-line", data + b"\r\n\r\n")
    assert result.errors == []
    assert len(result.created) == 2
    snapshot = _snapshot(app, "metro-line")
    assert [m[0] for m in snapshot] == ["Commercial close", "Second"]
    assert snapshot[1][8].value == "scheduled"


# --- bad input -------------------------------------------------------------------------------

BAD_CELLS = [
    ("title", "", "title"),
    ("title", "x" * 201, "at most 200"),
    ("type", "", "milestone type"),
    ("type", "bogus", "not a milestone type"),
    ("code", "bogus", "not a milestone code"),
    ("contract_reference", "NOPE-1", "No contract of this project"),
    ("baseline_date", "31/12/2025", "YYYY-MM-DD"),
    ("forecast_date", "2025-02-30", "not a real date"),
    ("actual_date", "yesterday", "YYYY-MM-DD"),
    ("status", "done", "not a milestone status"),
    ("percent_complete", "fifty", "not a whole number"),
    ("percent_complete", "150", "from 0 to 100"),
    ("weight", "-1", "not a whole number"),
    ("weight", "1.5", "not a whole number"),
    ("planned_value", "1,000.00", "not an amount"),
    ("planned_value", "€100", "not an amount"),
    ("planned_value", "10.005", "more than two decimals"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_CELLS)
def test_each_bad_cell_is_reported_by_row_and_column_and_nothing_imported(
    app, client, manager_project, make_milestone, column, value, message
):
    make_milestone("metro-line", title="Already there")
    before = _count(app)
    data = _csv(_row(title="Fine"), _row(**{column: value}), _row(title="Also fine"))
    response = _post(client, "metro-line", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert _count(app) == before
    with app.app_context():
        _, errors = csvio.parse(data, get_project("metro-line"))
    assert [(e.row, e.column) for e in errors] == [(3, column)]
    assert message in errors[0].message
    assert f"<code>{column}</code>" in page


def test_every_problem_in_the_file_is_listed_at_once(app, make_project):
    make_project("metro-line")
    data = _csv(
        _row(baseline_date="soon", weight="many"),
        _row(),
        _row(type="nope"),
    )
    result = _import(app, "metro-line", data)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "baseline_date"),
        (2, "weight"),
        (4, "type"),
    ]
    assert _count(app) == 0


def test_a_row_the_service_refuses_imports_nothing(app, client, manager_project):
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = _csv(
        _row(title="First"),
        _row(title="Second"),
        _row(title="Third", actual_date=tomorrow),  # spreadsheet row 4: the 3rd milestone
        _row(title="Fourth", status="met", actual_date="2024-01-01", percent_complete="50"),
    )
    with app.app_context():
        milestones, errors = csvio.parse(data, get_project("metro-line"))
    assert errors == [] and len(milestones) == 4  # well formed: only the rules refuse

    response = _post(client, "metro-line", data)
    assert response.status_code == 400
    assert _count(app) == 0
    with app.app_context():
        result = csvio.import_milestones(get_project("metro-line"), data, actor=None)
        assert not result.ok
        db.session.rollback()  # what the view does when any row is refused
    assert _count(app) == 0
    assert [(e.row, e.column) for e in result.errors] == [
        (4, "actual_date"),
        (5, "percent_complete"),
    ]
    assert "cannot be in the future" in result.errors[0].message
    assert _count(app) == 0
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(AuditEvent.entity_type == "Milestone")
            )
            == 0
        )


def test_a_file_that_is_not_utf8_is_refused(app, client, manager_project):
    data = _csv(_row(title="Équipe de réception")).decode("utf-8").encode("cp1252")
    response = _post(client, "metro-line", data)
    assert response.status_code == 400
    assert "The file is not UTF-8" in response.get_data(as_text=True)
    with app.app_context():
        _, errors = csvio.parse(data, get_project("metro-line"))
    assert len(errors) == 1 and errors[0].row is None
    assert _count(app) == 0


def test_missing_and_unknown_columns_are_named_in_one_error(app, make_project):
    make_project("metro-line")
    header = [c for c in COLUMNS if c not in ("weight", "planned_value")] + ["colour"]
    with app.app_context():
        milestones, errors = csvio.parse(_csv(_row(), header=header), get_project("metro-line"))
    assert milestones == []
    assert len(errors) == 1
    assert errors[0].row == 1
    assert "missing: weight, planned_value" in errors[0].message
    assert "not recognised: colour" in errors[0].message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (",".join(COLUMNS).encode() + b"\r\n", "no milestones"),
        (_csv(_row()) + b"a,b,c,d,e,f,g,h,i,j,k,l,m,n\r\n", "the header names 12 columns"),
    ],
    ids=["empty", "header-only", "too-many-cells"],
)
def test_malformed_files_are_refused(app, make_project, data, message):
    make_project("metro-line")
    result = _import(app, "metro-line", data)
    assert not result.ok
    assert message in result.errors[0].message
    assert _count(app) == 0


def test_more_than_the_row_limit_is_refused(app, client, manager_project):
    row = ",".join(_row().values()) + "\r\n"
    data = (",".join(COLUMNS) + "\r\n" + row * (csvio.MAX_ROWS + 1)).encode()
    response = _post(client, "metro-line", data)
    assert response.status_code == 400
    assert "more than 10,000 milestones" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_an_oversized_file_is_refused(app, make_project):
    make_project("metro-line")
    result = _import(app, "metro-line", b"x" * (csvio.MAX_BYTES + 1))
    assert (
        result.errors == [RowError(None, None, result.errors[0].message)]
        and "larger than 5 MB" in result.errors[0].message
    )


def test_no_file_is_a_form_error(client, manager_project):
    response = client.post(IMPORT.format("metro-line"), data={})
    assert response.status_code == 400
    assert "Choose a CSV file to import." in response.get_data(as_text=True)


# --- who may do what -------------------------------------------------------------------------


def test_an_auditor_may_not_import(app, client, auth, make_project):
    make_project("metro-line")
    auth.login_as(Role.AUDITOR)
    assert client.get(IMPORT.format("metro-line")).status_code == 403
    assert _post(client, "metro-line", _csv(_row())).status_code == 403
    assert _count(app) == 0


def test_a_manager_of_another_project_may_not_import(app, client, auth, make_project):
    make_project("metro-line", published=True)
    auth.login_as(Role.MANAGER)
    assert _post(client, "metro-line", _csv(_row())).status_code == 403
    assert _count(app) == 0


def test_the_public_must_sign_in_to_import(client, make_project):
    make_project("metro-line", published=True)
    response = client.get(IMPORT.format("metro-line"))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_public_exports_a_published_project_only(app, client, make_project, make_milestone):
    make_project("metro-line", published=True)
    make_project("secret-line")
    make_milestone("metro-line", title="Financial close")
    response = client.get("/projects/metro-line/milestones.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == COLUMNS and rows[1][0] == "Financial close"
    assert client.get("/projects/secret-line/milestones.csv").status_code == 404
    assert client.get("/projects/no-such/milestones.csv").status_code == 404
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "milestones.export")
        )
    assert event is not None and "1 milestone" in event.summary


def test_the_public_export_hides_confidential_contract_references(
    app, client, make_project, make_milestone
):
    from pptracker.contracts.models import Contract

    make_project("metro-line", published=True)
    with app.app_context():
        from pptracker.contracts.models import ContractStatus, PaymentMechanism
        from pptracker.contracts.services import ContractData, create_contract

        contract = create_contract(
            get_project("metro-line"),
            ContractData(
                reference="SECRET-1",
                title="Side letter",
                status=ContractStatus.ACTIVE,
                payment_mechanism=PaymentMechanism.HYBRID,
                initial_value=Decimal("1.00"),
                currency="EUR",
                signature_date=date(2020, 1, 15),
                confidential=True,
                confidential_reason="Commercially sensitive",
            ),
        )
        db.session.commit()
        contract_id = contract.id
        assert db.session.get(Contract, contract_id).confidential
    make_milestone("metro-line", title="Side milestone", contract_id=contract_id)
    body = client.get("/projects/metro-line/milestones.csv").get_data(as_text=True)
    assert "Side milestone" in body
    assert "SECRET-1" not in body
