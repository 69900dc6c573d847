"""Confidential records never reach the public: a redaction notice stands in their place."""

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.contracts.models import CommitmentNature, CommitmentType, FiscalCommitment
from pptracker.disclosure import Redacted, public_only
from pptracker.extensions import db


@pytest.fixture
def published(make_project, make_contract, make_amendment, app):
    make_project("harbour-bridge", published=True)
    open_contract = make_contract("harbour-bridge", reference="OPEN-1", value="1000000.00")
    secret = make_contract(
        "harbour-bridge",
        reference="SECRET-9",
        value="777777.00",
        confidential=True,
        reason="Commercially sensitive pricing",
    )
    make_amendment(open_contract.id, new_value="1100000.00")
    make_amendment(
        open_contract.id,
        new_value="1333333.00",
        confidential=True,
        reason="Under arbitration",
        amended_on=__import__("datetime").date(2023, 1, 1),
    )
    from pptracker.contracts.services import CommitmentData, add_commitment
    from pptracker.projects.queries import get_project

    with app.app_context():
        project = get_project("harbour-bridge")
        add_commitment(
            project,
            CommitmentData(
                type=CommitmentType.GUARANTEE,
                nature=CommitmentNature.CONTINGENT,
                max_exposure=__import__("decimal").Decimal("9999.00"),
                currency="EUR",
                description="Hidden guarantee",
                confidential=True,
                confidential_reason="Lender terms pending",
            ),
        )
        add_commitment(
            project,
            CommitmentData(
                type=CommitmentType.SUBSIDY,
                nature=CommitmentNature.DIRECT,
                max_exposure=__import__("decimal").Decimal("500.00"),
                currency="EUR",
                description="Construction grant",
            ),
        )
        db.session.commit()
    return open_contract, secret


def test_public_sees_notices_not_content(client, published):
    open_contract, secret = published
    listing = client.get("/projects/harbour-bridge/contracts/").get_data(as_text=True)
    assert "OPEN-1" in listing
    assert "SECRET-9" not in listing and "777,777.00" not in listing
    assert "Commercially sensitive pricing" in listing  # the notice and its reason
    assert "Hidden guarantee" not in listing and "9,999.00" not in listing
    assert "Lender terms pending" in listing
    assert "Construction grant" in listing
    detail = client.get(f"/projects/harbour-bridge/contracts/{open_contract.id}").get_data(
        as_text=True
    )
    assert "1,333,333.00" not in detail and "Under arbitration" in detail
    assert "Withheld" in detail
    assert "1,100,000.00" in detail  # the public amendment is shown
    hidden = client.get(f"/projects/harbour-bridge/contracts/{secret.id}")
    assert hidden.status_code == 200
    body = hidden.get_data(as_text=True)
    assert "Commercially sensitive pricing" in body and "777,777.00" not in body


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditors_and_admins_see_everything(client, auth, published, role):
    open_contract, _secret = published
    auth.login_as(role)
    listing = client.get("/projects/harbour-bridge/contracts/").get_data(as_text=True)
    assert "SECRET-9" in listing and "Hidden guarantee" in listing
    detail = client.get(f"/projects/harbour-bridge/contracts/{open_contract.id}").get_data(
        as_text=True
    )
    assert "1,333,333.00" in detail


def test_unpublished_project_is_not_found_for_the_public(client, make_project):
    make_project("draft-project")
    assert client.get("/projects/draft-project/contracts/").status_code == 404


def test_public_only_filters_rows_for_exports(app, published):
    with app.app_context():
        rows = db.session.scalars(
            sa.select(FiscalCommitment).where(public_only(FiscalCommitment))
        ).all()
    assert [r.description for r in rows] == ["Construction grant"]


def test_redacted_notice_carries_the_reason():
    notice = Redacted("contract", "Contract X", "Sensitive")
    assert notice.redacted and notice.reason == "Sensitive"


def test_a_public_amendment_does_not_reveal_a_confidential_one_through_its_old_figures(
    client, auth, make_project, make_contract, make_amendment
):
    from datetime import date

    make_project("harbour-bridge", published=True)
    contract = make_contract("harbour-bridge", reference="OPEN-1", value="1000000.00")
    make_amendment(
        contract.id,
        new_value="1333333.00",
        confidential=True,
        reason="Under arbitration",
        amended_on=date(2023, 1, 1),
    )
    make_amendment(
        contract.id, kind="duration", new_end=date(2045, 1, 31), amended_on=date(2023, 6, 1)
    )
    make_amendment(contract.id, new_value="1400000.00", amended_on=date(2024, 1, 1))
    make_amendment(contract.id, new_value="1500000.00", amended_on=date(2025, 1, 1))
    url = f"/projects/harbour-bridge/contracts/{contract.id}"

    public = client.get(url).get_data(as_text=True)

    # The third amendment's "before" is the confidential figure: withheld.
    assert "1,333,333.00" not in public
    assert "Value: withheld → 1,400,000.00 EUR" in public
    # The fourth's "before" was set publicly by the third: shown.
    assert "Value: 1,400,000.00 EUR → 1,500,000.00 EUR" in public
    # No confidential change of period: the period change is shown in full.
    assert "Period: 2020-02-01 – 2040-01-31 → 2020-02-01 – 2045-01-31" in public

    auth.login_as(Role.AUDITOR)
    assert "Value: 1,333,333.00 EUR → 1,400,000.00 EUR" in client.get(url).get_data(as_text=True)
