"""Tariff pages: who sees and changes what, the forms, bad input, conflicts, CSV and audit."""

import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.operations.models import Tariff, TariffRate

PAGE = "/projects/toll-road/operations/tariffs/"
MANAGE = "/manage/projects/toll-road/operations/tariffs"


def _tariff_form(contract_id, **overrides):
    data = {
        "contract_id": str(contract_id),
        "code": "T-CL1",
        "title": "Toll, class 1",
        "paid_by": "user",
        "payer_group": "Cars and vans",
        "unit": "per trip",
        "currency": "EUR",
        "setting_method": "Bid in the tender",
        "review_method": "Indexed to CPI every January",
        "confidential_reason": "",
        "effective_from": "2021-01-01",
        "value": "2.50",
        "reason": "Contract schedule 7",
        "approved_by": "",
        "amendment_id": "",
    }
    data.update(overrides)
    return data


def _rate_form(**overrides):
    data = {
        "effective_from": "2022-01-01",
        "value": "2.75",
        "reason": "CPI indexation",
        "approved_by": "Transport regulator",
        "amendment_id": "",
    }
    data.update(overrides)
    return data


def _rates(app):
    with app.app_context():
        return db.session.execute(
            sa.select(TariffRate.effective_from, TariffRate.value, TariffRate.reason).order_by(
                TariffRate.id
            )
        ).all()


@pytest.fixture
def managed(auth, make_project, make_contract):
    """A signed-in manager, the published project they manage and its contract."""
    manager = auth.login_as(Role.MANAGER)
    make_project("toll-road", managers=[manager], published=True)
    return manager, make_contract("toll-road")


@pytest.fixture
def public_and_secret(make_project, make_contract, make_tariff, app):
    """A published project with a public tariff, a confidential one and a secret contract's."""
    make_project("toll-road", published=True)
    contract = make_contract("toll-road")
    public = make_tariff(contract, code="T-PUB", title="Public toll")
    secret = make_tariff(
        contract, code="T-SEC", title="Secret toll", confidential=True, confidential_reason="Bids"
    )
    hidden = make_contract("toll-road", reference="C-2")
    hidden_tariff = make_tariff(hidden, code="T-HID", title="Hidden contract toll")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, hidden.id)
        row.confidential, row.confidential_reason = True, "Under negotiation"
        db.session.commit()
    return public, secret, hidden_tariff


def test_manager_adds_a_tariff_and_changes_its_rate_twice(client, managed, app):
    _manager, contract = managed
    response = client.post(f"{MANAGE}/new", data=_tariff_form(contract.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        tariff_id = db.session.scalar(sa.select(Tariff.id))
    url = f"{MANAGE}/{tariff_id}/rates/new"
    assert client.get(url).status_code == 200
    assert client.post(url, data=_rate_form()).status_code == 302
    response = client.post(
        url, data=_rate_form(effective_from="2023-01-01", value="2.60", reason="Renegotiation")
    )
    assert response.status_code == 302
    assert _rates(app) == [
        (date(2021, 1, 1), Decimal("2.5000"), "Contract schedule 7"),
        (date(2022, 1, 1), Decimal("2.7500"), "CPI indexation"),
        (date(2023, 1, 1), Decimal("2.6000"), "Renegotiation"),
    ]
    page = client.get(f"/projects/toll-road/operations/tariffs/{tariff_id}").get_data(as_text=True)
    for text in ("CPI indexation", "Renegotiation", "Contract schedule 7", "Transport regulator"):
        assert text in page
    assert "Indexed to CPI every January" in page
    index = client.get(PAGE).get_data(as_text=True)
    assert "T-CL1" in index and "2.6000" in index and "Renegotiation" in index
    with app.app_context():
        types = db.session.scalars(sa.select(AuditEvent.entity_type)).all()
    assert types.count("Tariff") == 1 and types.count("TariffRate") == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"effective_from": "2045-01-01"}, "outside the period of contract C-1"),
        ({"effective_from": "2020-06-01"}, "appended in date order"),
        ({"value": "-3"}, "cannot be negative"),
        ({"value": "three"}, "wrong type"),
        ({"value": "2.5"}, "no change to record"),
        ({"value": "1.23456"}, "at most 4 decimals"),
    ],
)
def test_bad_rate_changes_answer_400_and_write_nothing(
    client, managed, make_tariff, app, overrides, message
):
    _manager, contract = managed
    tariff_id = make_tariff(contract)
    response = client.post(f"{MANAGE}/{tariff_id}/rates/new", data=_rate_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(_rates(app)) == 1


def test_there_is_no_way_to_edit_or_delete_a_rate(client, managed, make_tariff, app):
    _manager, contract = managed
    tariff_id = make_tariff(contract)
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("tariffs.")]
    assert not [r for r in rules if "rates/" in r and not r.endswith("rates/new")]
    page = client.get(f"/projects/toll-road/operations/tariffs/{tariff_id}").get_data(as_text=True)
    assert "Change the rate" in page


def test_a_stale_edit_answers_409_and_keeps_the_input(client, managed, make_tariff, app):
    _manager, contract = managed
    tariff_id = make_tariff(contract)
    form = _tariff_form(contract.id, code="T-1", title="First edit", version="1")
    assert client.post(f"{MANAGE}/{tariff_id}/edit", data=form).status_code == 302
    form = _tariff_form(contract.id, code="T-1", title="Second, stale edit", version="1")
    response = client.post(f"{MANAGE}/{tariff_id}/edit", data=form)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Second, stale edit" in page and "Now saved as: First edit" in page
    with app.app_context():
        assert db.session.get(Tariff, tariff_id).title == "First edit"


def test_delete_is_soft_and_keeps_the_rates(client, managed, make_tariff, app):
    _manager, contract = managed
    tariff_id = make_tariff(contract)
    assert client.post(f"{MANAGE}/{tariff_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Tariff, tariff_id).is_deleted
    assert len(_rates(app)) == 1
    assert client.get(f"/projects/toll-road/operations/tariffs/{tariff_id}").status_code == 404


def test_the_public_sees_public_tariffs_and_redaction_notices_only(client, public_and_secret, app):
    public, secret, hidden = public_and_secret
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Public toll" in text
    assert "Secret toll" not in text and "T-SEC" not in text
    assert "Hidden contract toll" not in text and "C-2" not in text
    assert "Withheld" in text and "Bids" in text and "Under negotiation" in text
    assert client.get(f"{PAGE}{secret}").status_code == 404
    assert client.get(f"{PAGE}{hidden}").status_code == 404
    assert client.get(f"{PAGE}{public}").status_code == 200
    csv_text = client.get("/projects/toll-road/operations/tariffs.csv").get_data(as_text=True)
    assert "T-PUB" in csv_text and "T-SEC" not in csv_text and "T-HID" not in csv_text
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "tariffs.export")
        )
    assert event is not None and "1 tariff rate" in event.summary


def test_an_auditor_reads_everything_and_changes_nothing(client, auth, public_and_secret, app):
    public, secret, _hidden = public_and_secret
    auth.login_as(Role.AUDITOR)
    text = client.get(PAGE).get_data(as_text=True)
    assert "Secret toll" in text and "Hidden contract toll" in text
    assert client.get(f"{PAGE}{secret}").status_code == 200
    csv_text = client.get("/projects/toll-road/operations/tariffs.csv").get_data(as_text=True)
    assert "T-SEC" in csv_text and "T-HID" in csv_text
    assert client.get(f"{MANAGE}/{public}/rates/new").status_code == 403
    assert client.post(f"{MANAGE}/{public}/rates/new", data=_rate_form()).status_code == 403
    assert client.post(f"{MANAGE}/{public}/delete").status_code == 403
    assert len(_rates(app)) == 3


def test_another_projects_manager_is_refused(client, auth, public_and_secret, app):
    public, _secret, _hidden = public_and_secret
    auth.login_as(Role.MANAGER)
    assert client.get(f"{MANAGE}/new").status_code == 403
    assert client.post(f"{MANAGE}/{public}/rates/new", data=_rate_form()).status_code == 403
    assert client.get(f"{MANAGE}/import").status_code == 403
    text = client.get(PAGE).get_data(as_text=True)
    assert "Secret toll" not in text and "Change the rate" not in text


def test_anonymous_users_are_sent_to_sign_in_for_manager_pages(client, public_and_secret):
    public, _secret, _hidden = public_and_secret
    response = client.post(f"{MANAGE}/{public}/rates/new", data=_rate_form())
    assert response.status_code in (302, 401)
    assert client.get(f"{MANAGE}/template.csv").status_code in (302, 401)


# --- CSV import ---------------------------------------------------------------------------


def _upload(client, text: str):
    return client.post(
        f"{MANAGE}/import",
        data={"file": (io.BytesIO(text.encode()), "rates.csv")},
        content_type="multipart/form-data",
    )


HEADER = "contract_reference,tariff_code,effective_from,value,reason,approved_by\n"


def test_a_csv_of_rate_changes_is_imported(client, managed, make_tariff, app):
    _manager, contract = managed
    make_tariff(contract, code="T-1")
    template = client.get(f"{MANAGE}/template.csv")
    assert template.status_code == 200 and "tariff_code" in template.get_data(as_text=True)
    response = _upload(
        client,
        HEADER + "C-1,T-1,2022-01-01,2.75,CPI 2022,Regulator\nc-1,t-1,2023-01-01,2.9,CPI 2023,\n",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [r.value for r in _rates(app)] == [Decimal("2.5"), Decimal("2.75"), Decimal("2.9")]
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "tariffs.import" in actions


def test_a_csv_with_any_bad_row_imports_nothing(client, managed, make_tariff, app):
    _manager, contract = managed
    make_tariff(contract, code="T-1")
    response = _upload(
        client,
        HEADER
        + "C-1,T-1,2023-01-01,2.75,CPI,\n"  # fine alone
        + "C-1,T-1,2022-06-01,2.80,Out of order,\n"  # before the row above
        + "C-1,T-9,2022-01-01,1,No such tariff,\n"
        + "C-1,T-1,2024-01-01,-1,Negative,\n"
        + "C-1,T-1,2025-13-01,1,Bad date,\n",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Nothing was imported" in text
    assert "must be in date order" in text
    assert "no tariff with the code" in text
    assert "cannot be negative" in text
    assert "not a real date" in text
    assert len(_rates(app)) == 1


def test_a_csv_row_refused_by_the_rules_imports_nothing(client, managed, make_tariff, app):
    _manager, contract = managed
    make_tariff(contract, code="T-1")
    response = _upload(
        client,
        HEADER + "C-1,T-1,2022-01-01,2.75,CPI,\nC-1,T-1,2045-01-01,3,Too late,\n",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "outside the period" in text
    assert len(_rates(app)) == 1


def test_a_csv_with_the_wrong_header_is_refused(client, managed, make_tariff, app):
    _manager, contract = managed
    make_tariff(contract)
    response = _upload(client, "contract,code\nC-1,T-1\n")
    assert response.status_code == 400
    assert "header row" in response.get_data(as_text=True)


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
    client, managed, make_tariff, make_contract, app
):
    _manager, contract = managed
    make_tariff(contract, code="T-1")
    before = _statements(app, client, PAGE)
    other = make_contract("toll-road", reference="C-2")
    for n in range(2, 6):
        make_tariff(other if n % 2 else contract, code=f"T-{n}")
    after = _statements(app, client, PAGE)
    assert before == after
