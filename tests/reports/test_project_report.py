"""The project transparency report: what the public reads matches the database, and no more.

Each test builds a project, assembles and renders its report, reads the PDF's
text back and checks what a reader would see.
"""

import re
import time
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pypdf
import pytest
import sqlalchemy as sa

from pptracker.audit.models import Finding, FindingStatus
from pptracker.budgets.models import BudgetCategory, BudgetLine, Transaction, TransactionKind
from pptracker.contracts import services as contract_services
from pptracker.contracts.models import (
    Allocation,
    AmendmentType,
    CommitmentNature,
    CommitmentType,
    ContractStatus,
    PaymentMechanism,
)
from pptracker.database import today
from pptracker.extensions import db
from pptracker.formatting import format_datetime
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.operations import models as om
from pptracker.projects.queries import get_project
from pptracker.reports import project_data, project_report
from pptracker.reports.version import current
from tests.reports.conftest import pdf_pages, pdf_text

BASE_URL = "https://pptracker.example.org/"


def _report(app, code: str):
    """Assemble and render ``code``'s report; return (data, pdf bytes, text)."""
    with app.app_context():
        data = project_data.assemble(get_project(code), current(), base_url=BASE_URL)
        pdf = project_report.render(data)
    return data, pdf, pdf_text(pdf)


def _flat(text: str) -> str:
    """The text with every run of white space made one space (table cells wrap)."""
    return " ".join(text.split())


def _contract(project, reference: str, *, value="1000000.00", title=None, **fields):
    return contract_services.create_contract(
        project,
        contract_services.ContractData(
            reference=reference,
            title=title or f"Contract {reference}",
            status=ContractStatus.ACTIVE,
            payment_mechanism=PaymentMechanism.HYBRID,
            initial_value=Decimal(value),
            currency="EUR",
            signature_date=date(2020, 1, 15),
            initial_start=date(2020, 2, 1),
            initial_end=date(2040, 1, 31),
            **fields,
        ),
    )


def _amend(contract, *, number_date=date(2022, 5, 1), **fields):
    values = {
        "amended_on": number_date,
        "type": AmendmentType.VALUE,
        "rationale": "Extra lane added at the ministry's request",
        "approved_by": "Council of Ministers",
        "approved_on": number_date,
    }
    values.update(fields)
    return contract_services.add_amendment(
        contract, contract_services.AmendmentData(**values), recorder=None
    )


# --- figures and dates --------------------------------------------------------------------


def test_figures_and_dates_match_the_database(app, make_project, make_finding):
    make_project("harbour-bridge", title="Harbour Bridge", currency="EUR")
    with app.app_context():
        project = get_project("harbour-bridge")
        contract = _contract(project, "HB-1", financial_close_date=date(2020, 3, 27))
        _amend(contract, new_value=Decimal("1250000.00"))
        _amend(
            contract,
            number_date=date(2023, 2, 1),
            type=AmendmentType.DURATION,
            new_end=date(2042, 1, 31),
            rationale="Two years added for the flood damage",
        )
        db.session.add_all(
            [
                Milestone(
                    project_id=project.id,
                    title="Financing signed",
                    type="financing",
                    code="financialClose",
                    baseline_date=date(2020, 3, 1),
                    actual_date=date(2020, 3, 29),
                    status=MilestoneStatus.MET,
                    percent_complete=100,
                ),
                Milestone(
                    project_id=project.id,
                    title="Bridge deck complete",
                    type="delivery",
                    code="completion",
                    baseline_date=date(2023, 6, 30),
                    forecast_date=date(2024, 1, 31),
                    status=MilestoneStatus.IN_PROGRESS,
                    percent_complete=60,
                ),
            ]
        )
        line = BudgetLine(
            project_id=project.id,
            code="CAP-01",
            name="Deck and piers",
            category=BudgetCategory.CAPEX,
            planned_amount=Decimal("500000.00"),
        )
        db.session.add(line)
        db.session.flush()
        for kind, amount, line_id, day in (
            (TransactionKind.COMMITMENT, "200000.00", line.id, date(2022, 4, 1)),
            (TransactionKind.PAYMENT, "150000.00", line.id, date(2022, 9, 1)),
            (TransactionKind.PAYMENT, "12345.67", None, date(2023, 2, 1)),
            (TransactionKind.RECEIPT, "1000.00", None, date(2023, 3, 1)),
            (TransactionKind.PAYMENT, "99999.99", line.id, date(2022, 9, 2)),  # deleted below
        ):
            db.session.add(
                Transaction(
                    project_id=project.id,
                    budget_line_id=line_id,
                    kind=kind,
                    transaction_date=day,
                    amount=Decimal(amount),
                    currency="EUR",
                    rate=Decimal(1),
                    project_amount=Decimal(amount),
                )
            )
        db.session.flush()
        deleted = db.session.scalar(
            sa.select(Transaction).where(Transaction.project_amount == Decimal("99999.99"))
        )
        deleted.is_deleted = True
        db.session.commit()
    for _ in range(3):
        make_finding("harbour-bridge")
    with app.app_context():
        first = db.session.scalars(sa.select(Finding).order_by(Finding.id)).first()
        first.status = FindingStatus.ANSWERED
        db.session.commit()
        version = current()
        authority = get_project("harbour-bridge").public_authority.name
        deck = db.session.scalar(sa.select(Milestone).where(Milestone.code == "completion"))
        expected_slip = (deck.forecast_date - deck.baseline_date).days

    data, pdf, text = _report(app, "harbour-bridge")
    flat = _flat(text)

    # The cover: who and what, and where the data come from.
    assert "Harbour Bridge" in text and "harbour-bridge" in text
    assert authority in text
    assert f"Data as of {format_datetime(version.at)}" in flat
    assert f"event {version.seq}, hash {version.hash}" in flat
    assert f"{BASE_URL}projects/harbour-bridge" in flat
    assert "Page 1 of" in text
    # Key facts: the contract's value and period as signed and as amended.
    assert "Contract value, initial 1,000,000.00 EUR" in flat
    assert "Contract value, current 1,250,000.00 EUR (+250,000.00 EUR, +25.0 %)" in flat
    assert "Contract period, initial 2020-02-01 to 2040-01-31" in flat
    assert "Contract period, current 2020-02-01 to 2042-01-31 (+731 days)" in flat
    assert "Financial close 2020-03-27 (contract HB-1)" in flat
    # Milestones: dates, slippage and overdue as of the data's date.
    assert "Financing signed" in text and "Bridge deck complete" in text
    for day in ("2020-03-01", "2020-03-29", "2023-06-30", "2024-01-31"):
        assert day in text
    assert expected_slip == 215
    assert re.search(r"2023-06-30 2024-01-31 – In progress 60 % \+215 Overdue", flat)
    assert re.search(r"2020-03-01 – 2020-03-29 Met 100 % \+28 –", flat)
    # Budget against actual: line, unassigned row, total.
    assert re.search(
        r"CAP-01 – Deck and piers Capital expenditure 500,000.00 200,000.00 150,000.00 0.00 "
        r"300,000.00 30.0 %",
        flat,
    )
    assert "Not assigned to a budget line – 0.00 12,345.67 1,000.00 – –" in flat
    assert "Total 500,000.00 200,000.00 162,345.67 1,000.00 300,000.00 32.5 %" in flat
    # The payments summary: totals and years, never the transactions themselves.
    assert "4 transactions recorded" in flat
    assert "99,999.99" not in flat  # a deleted transaction counts nowhere
    assert "2022 2 200,000.00 150,000.00 0.00" in flat
    assert "2023 2 0.00 12,345.67 1,000.00" in flat
    # Amendments with their rationale and change.
    assert "Extra lane added at the ministry's request" in flat
    assert "1,000,000.00 EUR → 1,250,000.00 EUR (+250,000.00 EUR)" in flat
    assert "Two years added for the flood damage" in flat
    assert "2020-02-01 to 2040-01-31 → 2020-02-01 to 2042-01-31 (+731 days)" in flat
    # Audit findings and the sections with nothing in them.
    assert "1 open, 1 answered, 0 closed" not in flat
    assert "2 open, 1 answered, 0 closed" in flat
    assert "Risk allocation None recorded." in flat
    assert "Operating performance" not in text
    # The figures the text shows are those of the data.
    assert data.budget.total.paid == Decimal("162345.67")
    assert data.key_facts.main_contract.current_value == Decimal("1250000.00")


def test_earned_value_says_why_an_index_is_not_computed(app, make_project):
    make_project("no-values")
    _data, _pdf, text = _report(app, "no-values")
    flat = _flat(text)
    assert "Schedule performance (SPI) Not computed" in flat
    assert "no milestone has a planned value" in flat
    assert "No transaction recorded." in flat


# --- what the public may not see ----------------------------------------------------------


SECRETS = (
    "Secret concession of the ring road",
    "Hidden settlement rationale",
    "1,777,777.00",
    "Secret availability KPI",
    "Industrial offtaker price",
    "Hidden risk of the tunnel",
    "Hidden termination guarantee",
    "Withdrawn contract title",
    "Deleted contract KPI",
    "Deleted milestone title",
    "Deleted budget line name",
    "Secret traffic series",
)


def test_confidential_and_deleted_records_never_appear(app, make_project):
    make_project("ring-road", title="Ring Road")
    with app.app_context():
        project = get_project("ring-road")
        public = _contract(project, "RR-1")
        _contract(
            project,
            "RR-2",
            title="Secret concession of the ring road",
            confidential=True,
            confidential_reason="Commercially sensitive pricing",
        )
        withdrawn = _contract(project, "RR-3", title="Withdrawn contract title")
        _amend(
            public,
            new_value=Decimal("1777777.00"),
            rationale="Hidden settlement rationale",
            confidential=True,
            confidential_reason="Arbitration pending",
        )
        # A public amendment after it: its "old value" would reveal the confidential one.
        _amend(
            public,
            number_date=date(2023, 1, 1),
            new_value=Decimal("2000000.00"),
            rationale="Public increase after the settlement",
        )
        contract_services.add_risk(
            public,
            contract_services.RiskData(
                category="construction",
                allocation=Allocation.PRIVATE,
                description="Hidden risk of the tunnel",
                confidential=True,
                confidential_reason="Insurer's terms",
            ),
        )
        contract_services.add_risk(
            public,
            contract_services.RiskData(
                category="revenue", allocation=Allocation.SHARED, description="Traffic risk"
            ),
        )
        contract_services.add_commitment(
            project,
            contract_services.CommitmentData(
                type=CommitmentType.GUARANTEE,
                nature=CommitmentNature.CONTINGENT,
                max_exposure=Decimal("9000000.00"),
                currency="EUR",
                description="Hidden termination guarantee",
                contract_id=public.id,
                confidential=True,
                confidential_reason="Lender terms under negotiation",
            ),
        )
        kpi = dict(
            category=om.FailureCategory.AVAILABILITY,
            unit=om.KpiUnit.PERCENT,
            comparison=om.Comparison.AT_LEAST,
            target=Decimal("98"),
            frequency=om.Frequency.MONTHLY,
            source=om.KpiSource.OPERATOR,
        )
        db.session.add_all(
            [
                om.Kpi(
                    project_id=project.id,
                    contract_id=public.id,
                    code="AV-1",
                    name="Lane availability",
                    **kpi,
                ),
                om.Kpi(
                    project_id=project.id,
                    contract_id=public.id,
                    code="AV-2",
                    name="Secret availability KPI",
                    confidential=True,
                    confidential_reason="KPI under review",
                    **kpi,
                ),
                om.Kpi(
                    project_id=project.id,
                    contract_id=withdrawn.id,
                    code="AV-3",
                    name="Deleted contract KPI",
                    **kpi,
                ),
                om.DemandSeries(
                    project_id=project.id,
                    contract_id=public.id,
                    metric=om.Metric.DEMAND,
                    name="Secret traffic series",
                    unit="trips",
                    confidential=True,
                    confidential_reason="Operator's data",
                ),
            ]
        )
        tariff = om.Tariff(
            project_id=project.id,
            contract_id=public.id,
            code="T-IND",
            title="Industrial offtaker price",
            paid_by=om.PaidBy.USER,
            unit="per m3",
            currency="EUR",
            confidential=True,
            confidential_reason="Single offtaker price",
        )
        tariff.rates.append(
            om.TariffRate(
                project_id=project.id,
                effective_from=date(2021, 1, 1),
                value=Decimal("0.9"),
                reason="Contract",
            )
        )
        db.session.add(tariff)
        gone = Milestone(
            project_id=project.id,
            title="Deleted milestone title",
            type="delivery",
            baseline_date=date(2024, 1, 1),
        )
        line = BudgetLine(
            project_id=project.id,
            code="DEL-1",
            name="Deleted budget line name",
            category=BudgetCategory.CAPEX,
            planned_amount=Decimal("1.00"),
        )
        db.session.add_all([gone, line])
        db.session.flush()
        from pptracker.budgets.services import delete_budget_line
        from pptracker.milestones.services import delete_milestone

        delete_milestone(gone, actor=None)
        delete_budget_line(line)
        contract_services.delete_contract(withdrawn)
        db.session.commit()

    data, pdf, text = _report(app, "ring-road")
    flat = _flat(text)

    for secret in SECRETS:
        assert secret not in flat, secret
    assert "Withheld: 1 contract — Commercially sensitive pricing" in flat
    assert "Withheld: Amendment 1 of contract RR-1 — Arbitration pending" in flat
    assert "Contract value, current Withheld (set by a confidential amendment)" in flat
    assert "Public increase after the settlement" in flat
    assert "Value withheld → 2,000,000.00 EUR" in flat
    assert "Withheld: 1 risk allocation — Insurer's terms" in flat
    assert "Traffic risk" in flat
    assert "Withheld: 1 fiscal commitment — Lender terms under negotiation" in flat
    assert "Withheld: 1 KPI — KPI under review" in flat
    assert "Lane availability" in flat
    assert "Withheld: A tariff of contract RR-1 — Single offtaker price" in flat
    assert "Withheld: A demand series of contract RR-1 — Operator's data" in flat
    # The deleted contract is withdrawn, not confidential: nothing of it, no notice.
    assert "RR-3" not in flat
    # Nothing of it is in the data either (the PDF is not the only way to leak).
    assert "Hidden" not in repr(data) and "Secret" not in repr(data)


def test_a_project_with_only_withheld_operations_gets_the_section_with_notices(
    app, make_project, make_contract, make_kpi
):
    make_project("hidden-ops")
    contract = make_contract("hidden-ops")
    make_kpi(contract, confidential=True, confidential_reason="Not yet audited")
    _data, _pdf, text = _report(app, "hidden-ops")
    flat = _flat(text)
    assert "Operating performance" in flat
    assert "Withheld: 1 KPI — Not yet audited" in flat
    assert "Lane availability" not in flat


# --- text the user typed ------------------------------------------------------------------


def test_greek_cyrillic_and_markup_come_back_literally(app, make_project, make_party):
    authority = make_party("Υπουργείο Υποδομών & Μεταφορών")
    private = make_party("ООО «Мостострой» <b>bold</b>", roles=("privateParty",))
    title = "Γέφυρα Ρίου & Мост <font size=40>big</font>"
    make_project(
        "unicode-bridge",
        title=title,
        public_authority_id=authority.id,
        private_party_id=private.id,
        location="Ρίο – Αντίρριο",
    )
    data, pdf, text = _report(app, "unicode-bridge")
    flat = _flat(text)
    assert title in flat
    assert "Υπουργείο Υποδομών & Μεταφορών" in flat
    assert "ООО «Мостострой» <b>bold</b>" in flat
    assert "Ρίο – Αντίρριο" in flat
    reader = pypdf.PdfReader(BytesIO(pdf))
    assert reader.metadata.title == f"Transparency report: {title}"
    # The font is embedded, and no unembedded Helvetica is left.
    assert b"SourceSansPro" in pdf and b"Helvetica" not in pdf


# --- reproducible -------------------------------------------------------------------------


def test_the_same_data_give_the_same_bytes(app, make_project, make_contract, make_kpi):
    make_project("same-bytes")
    make_kpi(make_contract("same-bytes"))
    with app.app_context():
        version = current()
        first = project_data.assemble(get_project("same-bytes"), version, base_url=BASE_URL)
        db.session.remove()
        second = project_data.assemble(get_project("same-bytes"), version, base_url=BASE_URL)
    assert first == second
    assert project_report.render(first) == project_report.render(second)


# --- operations ---------------------------------------------------------------------------


def test_operations_section_only_for_projects_with_operations_records(
    app, make_project, make_contract, make_kpi, make_tariff, make_demand_series
):
    make_project("toll-road")
    contract = make_contract("toll-road")
    make_kpi(contract)
    make_tariff(contract, value="2.5000")
    make_demand_series(contract, years={2023: ("1000", "900"), 2024: ("1100", None)})
    make_project("school")
    make_contract("school")

    _data, _pdf, with_ops = _report(app, "toll-road")
    _data, _pdf, without = _report(app, "school")

    flat = _flat(with_ops)
    assert "Operating performance" in flat
    assert "AV-1 – Lane availability" in flat and "at least 98 %" in flat
    assert "T-1 – Toll, class 1" in flat and "2.5 EUR per trip" in flat
    assert "2023 1,000 900 -100 -10.0 %" in flat
    assert "2024 1,100 Not yet known – –" in flat
    assert "Operating performance" not in without
    assert "KPI results" not in without


def test_fiscal_figures_kpi_results_and_deductions_match_the_database(
    app, make_project, make_contract, make_kpi, make_scheduled_payment
):
    make_project("hospital")
    contract = make_contract("hospital", reference="HOS-1")
    kpi_id = make_kpi(contract)
    payment_id = make_scheduled_payment(contract)  # 100,000.00 for 2025-03
    with app.app_context():
        project = get_project("hospital")
        observation = om.KpiObservation(
            kpi_id=kpi_id,
            project_id=project.id,
            period_start=date(2025, 3, 1),
            period_end=date(2025, 3, 31),
            value=Decimal("97"),
            met=False,
            events=2,
            source=om.KpiSource.OPERATOR,
        )
        db.session.add(observation)
        db.session.flush()
        db.session.add_all(
            [
                om.PerformanceFailure(
                    project_id=project.id,
                    contract_id=contract.id,
                    kpi_id=kpi_id,
                    observation_id=observation.id,
                    category=om.FailureCategory.AVAILABILITY,
                    period_start=date(2025, 3, 1),
                    period_end=date(2025, 3, 31),
                    events=2,
                    penalty_contracted=Decimal("1000.00"),
                    penalty_imposed=Decimal("5000.00"),
                    penalty_paid=Decimal("0.00"),
                    currency="EUR",
                ),
                Transaction(
                    project_id=project.id,
                    contract_id=contract.id,
                    scheduled_payment_id=payment_id,
                    kind=TransactionKind.PAYMENT,
                    transaction_date=date(2025, 4, 20),
                    amount=Decimal("90000.00"),
                    currency="EUR",
                    rate=Decimal(1),
                    project_amount=Decimal("90000.00"),
                ),
            ]
        )
        contract_services.add_commitment(
            project,
            contract_services.CommitmentData(
                type=CommitmentType.AVAILABILITY_PAYMENT,
                nature=CommitmentNature.DIRECT,
                max_exposure=Decimal("2400000.00"),
                currency="EUR",
                description="Monthly availability payments",
                contract_id=contract.id,
                start_date=date(2025, 1, 1),
                end_date=date(2044, 12, 31),
            ),
        )
        db.session.commit()

    _data, _pdf, text = _report(app, "hospital")
    flat = _flat(text)

    assert "Availability payments Direct (certain) Monthly availability payments" in flat
    assert "2,400,000.00 EUR 2025-01-01 to 2044-12-31" in flat
    assert "EUR 2,400,000.00 0.00 2,400,000.00" in flat
    # Gross 100,000 less the 5,000 imposed = 95,000 due; 90,000 paid: 5,000 short.
    assert "2025 EUR 1 100,000.00 5,000.00 95,000.00 90,000.00 5,000.00" in flat
    assert "1 scheduled payment differs from what was due" in flat
    assert "2025-03 availability payment HOS-1 95,000.00 EUR 90,000.00 EUR Underpaid: mismatch" in (
        flat
    )
    assert "AV-1 – Lane availability contract HOS-1 at least 98 % monthly" in flat
    assert "2025-03: 97 % (failed) 0 1 500.00 EUR per failure event" in flat
    assert "2025 EUR 1 2 1,000.00 5,000.00 0.00" in flat


# --- size: fixed statements, time, layout -------------------------------------------------


def _populate(app, code: str, n: int) -> None:
    """Give project ``code`` ``n`` times as many of every record (``n`` ≥ 1).

    Rows go straight through the models (quick); contracts and amendments
    through their services, which derive old and new terms.
    """
    start = today() - timedelta(days=4000)
    with app.app_context():
        project = get_project(code)
        contracts = [_contract(project, f"C-{i}") for i in range(1, n + 2)]
        main = contracts[0]
        for i in range(1, 4 * n + 1):
            _amend(
                main,
                number_date=date(2020, 2, 1) + timedelta(days=30 * i),
                new_value=Decimal(1000000 + 1000 * i),
                rationale=f"Change {i}: " + "a long rationale " * (40 if i == 1 else 1),
            )
        lines = [
            BudgetLine(
                project_id=project.id,
                code=f"L-{i:02d}",
                name=f"Line {i}",
                category=BudgetCategory.CAPEX,
                planned_amount=Decimal(100000 * i),
            )
            for i in range(1, 4 * n + 1)
        ]
        db.session.add_all(lines)
        db.session.flush()
        milestones = [
            Milestone(
                project_id=project.id,
                title=f"Milestone {i}",
                type="delivery",
                baseline_date=start + timedelta(days=20 * i),
                forecast_date=start + timedelta(days=22 * i),
                percent_complete=50,
                planned_value=Decimal(1000),
            )
            for i in range(1, 15 * n + 1)
        ]
        transactions = [
            Transaction(
                project_id=project.id,
                budget_line_id=lines[i % len(lines)].id if i % 7 else None,
                kind=list(TransactionKind)[i % 3],
                transaction_date=start + timedelta(days=i),
                amount=Decimal("10.00"),
                currency="EUR",
                rate=Decimal(1),
                project_amount=Decimal("10.00"),
            )
            for i in range(1, 40 * n + 1)
        ]
        db.session.add_all(milestones + transactions)
        for contract in contracts:
            contract_services.add_risk(
                contract,
                contract_services.RiskData(
                    category="construction",
                    allocation=Allocation.PRIVATE,
                    description="Overruns " + "and more " * (400 if n > 1 else 1),
                ),
            )
            contract_services.add_commitment(
                project,
                contract_services.CommitmentData(
                    type=CommitmentType.GUARANTEE,
                    nature=CommitmentNature.CONTINGENT,
                    max_exposure=Decimal("1000.00"),
                    currency="EUR",
                    contract_id=contract.id,
                ),
            )
            kpi = om.Kpi(
                project_id=project.id,
                contract_id=contract.id,
                code="AV-1",
                name="Availability",
                category=om.FailureCategory.AVAILABILITY,
                unit=om.KpiUnit.PERCENT,
                comparison=om.Comparison.AT_LEAST,
                target=Decimal("98"),
                frequency=om.Frequency.MONTHLY,
                source=om.KpiSource.OPERATOR,
            )
            db.session.add(kpi)
            db.session.flush()
            for month in range(1, 3 * n + 1):
                period = date(2023, 1, 1) + timedelta(days=31 * (month - 1))
                period = period.replace(day=1)
                db.session.add(
                    om.KpiObservation(
                        kpi_id=kpi.id,
                        project_id=project.id,
                        period_start=period,
                        period_end=period + timedelta(days=27),
                        value=Decimal("99"),
                        met=True,
                        source=om.KpiSource.OPERATOR,
                    )
                )
            db.session.add(
                om.ScheduledPayment(
                    project_id=project.id,
                    contract_id=contract.id,
                    type=om.PaymentType.AVAILABILITY_PAYMENT,
                    period_start=date(2024, 1, 1),
                    period_end=date(2024, 1, 31),
                    gross_amount=Decimal("100.00"),
                    currency="EUR",
                )
            )
            tariff = om.Tariff(
                project_id=project.id,
                contract_id=contract.id,
                code="T-1",
                title="Toll",
                paid_by=om.PaidBy.USER,
                unit="per trip",
                currency="EUR",
            )
            for year in range(2020, 2020 + 2 * n):
                tariff.rates.append(
                    om.TariffRate(
                        project_id=project.id,
                        effective_from=date(year, 1, 1),
                        value=Decimal(year - 2018),
                        reason="Indexation",
                    )
                )
            series = om.DemandSeries(
                project_id=project.id,
                contract_id=contract.id,
                metric=om.Metric.DEMAND,
                name="Traffic",
                unit="trips",
            )
            for year in range(2020, 2020 + 3 * n):
                series.values.append(
                    om.DemandValue(
                        project_id=project.id, year=year, forecast=Decimal(100), actual=None
                    )
                )
            db.session.add_all([tariff, series])
        db.session.commit()


def _statements(app, code: str) -> int:
    with app.app_context():
        version = current()
        db.session.remove()
        project = get_project(code)
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            project_data.assemble(project, version, base_url=BASE_URL)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_statement_count_does_not_grow_with_the_rows(app, make_project):
    make_project("small")
    make_project("large")
    _populate(app, "small", 1)
    _populate(app, "large", 3)

    small, large = _statements(app, "small"), _statements(app, "large")
    assert small == large

    # The large one also lays out cleanly: timeline in pieces, long texts split.
    data, pdf, text = _report(app, "large")
    assert len(data.milestones.rows) == 45 and len(data.amendments) == 12
    assert "(milestones 1–23 of 45)" in _flat(text)
    assert "(milestones 24–45 of 45)" in _flat(text)
    assert b"SourceSansPro" in pdf and b"Helvetica" not in pdf  # charts too
    pages = pdf_pages(pdf)
    assert all(f"Page {i} of {len(pages)}" in page for i, page in enumerate(pages, start=1))


@pytest.mark.parametrize("repeat", [2])
def test_a_large_project_builds_in_well_under_a_second(app, make_project, repeat):
    make_project("big", title="Big project")
    start = date(2015, 1, 1)
    with app.app_context():
        project = get_project("big")
        contract = _contract(project, "BIG-1")
        for i in range(1, 21):
            _amend(
                contract,
                number_date=date(2020, 2, 1) + timedelta(days=60 * i),
                new_value=Decimal(1000000 + 1000 * i),
                rationale=f"Amendment {i}: the reason, in a sentence or two.",
            )
        lines = [
            BudgetLine(
                project_id=project.id,
                code=f"L-{i:02d}",
                name=f"Line {i}",
                category=BudgetCategory.CAPEX,
                planned_amount=Decimal(100000 * i),
            )
            for i in range(1, 21)
        ]
        db.session.add_all(lines)
        db.session.flush()
        db.session.add_all(
            [
                Milestone(
                    project_id=project.id,
                    title=f"Milestone {i}",
                    type="delivery",
                    baseline_date=start + timedelta(days=30 * i),
                    forecast_date=start + timedelta(days=33 * i),
                    percent_complete=i % 101,
                    planned_value=Decimal(1000),
                )
                for i in range(1, 101)
            ]
        )
        db.session.add_all(
            [
                Transaction(
                    project_id=project.id,
                    budget_line_id=lines[i % 20].id if i % 9 else None,
                    kind=list(TransactionKind)[i % 3],
                    transaction_date=start + timedelta(days=i),
                    amount=Decimal("10.00"),
                    currency="EUR",
                    rate=Decimal(1),
                    project_amount=Decimal("10.00"),
                )
                for i in range(1, 2001)
            ]
        )
        db.session.commit()
        version = current()
        timings = []
        for _ in range(repeat):
            db.session.remove()
            project = get_project("big")
            began = time.perf_counter()
            pdf = project_report.render(project_data.assemble(project, version, base_url=BASE_URL))
            timings.append(time.perf_counter() - began)
    assert "2,000 transactions recorded" in _flat(pdf_text(pdf))
    assert min(timings) < 1.0, timings


def test_an_empty_project_prints_every_section_with_none_recorded(app, make_project):
    make_project("empty")
    _data, _pdf, text = _report(app, "empty")
    flat = _flat(text)
    for section in (
        "Key facts",
        "Milestones None recorded.",
        "Budget against actual None recorded.",
        "Amendments None recorded.",
        "Risk allocation None recorded.",
        "Fiscal commitments None recorded.",
        "Payment schedule against payments None recorded.",
        "Audit findings 0 open, 0 answered, 0 closed.",
    ):
        assert section in flat, section
    assert "Operating performance" not in flat


# --- the demo portfolio -------------------------------------------------------------------


def test_demo_reports_withhold_the_confidential_items(app):
    from pptracker.demo.services import load_demo

    with app.app_context():
        load_demo("demo-password-for-tests")
        db.session.commit()
    _data, _pdf, lakeside = _report(app, "lakeside-water-treatment")
    _data, _pdf, metro = _report(app, "metro-light-rail-line-2")
    _data, _pdf, coastal = _report(app, "coastal-toll-road")

    assert "industrial offtaker" not in _flat(lakeside).lower()
    assert "Withheld: A tariff of contract LMWA-2015-07" in _flat(lakeside)
    assert "Operating performance" in lakeside
    assert "Settlement of the claim" not in _flat(metro)
    assert "1,302,000,000.00" not in _flat(metro)
    assert "Settlement terms confidential until the arbitration closes" in _flat(metro)
    assert "Termination payment on grantor default" not in _flat(coastal)
    assert "Lender terms under negotiation" in _flat(coastal)
    assert "Operating performance" not in metro
