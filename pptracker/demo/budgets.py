"""Demo budgets and a year or more of transactions, with a case for each red flag."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from pptracker.budgets import services
from pptracker.budgets.models import BudgetCategory, BudgetLine, TransactionKind
from pptracker.contracts.models import Contract
from pptracker.database import today
from pptracker.extensions import db
from pptracker.projects.models import Party, Project

# Shares of the project budget per line: code, name, category, share.
LINES = [
    ("CAP-01", "Design and construction", BudgetCategory.CAPEX, Decimal("0.70")),
    ("OPX-01", "Operation and maintenance", BudgetCategory.OPEX, Decimal("0.15")),
    ("FIN-01", "Financing costs", BudgetCategory.FINANCING, Decimal("0.10")),
    ("CON-01", "Contingency", BudgetCategory.CONTINGENCY, Decimal("0.05")),
]

# A supplier paid in a foreign currency: project code -> (currency, rate to project currency).
FOREIGN = {
    "sunvale-solar-farm": ("EUR", Decimal("19.87654321")),
    "capital-airport-terminal-3": ("USD", Decimal("452.25")),
    "bayport-container-terminal": ("EUR", Decimal("1.0825")),
    "metro-light-rail-line-2": ("USD", Decimal("0.9213")),
}

#: Share of the construction line paid so far, per project (drives "ahead of progress").
PAID_SHARE = {
    "sunvale-solar-farm": Decimal("1.35"),  # far ahead of its ~65 % physical progress
    "northgate-hospital": Decimal("0.55"),
    "metro-light-rail-line-2": Decimal("0.40"),
    "bayport-container-terminal": Decimal("0.45"),
    "capital-airport-terminal-3": Decimal("0.60"),
}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def load_budgets(users) -> int:
    """Create each demo project's budget lines and transactions, once."""
    loaded = 0
    for project in db.session.scalars(sa.select(Project).order_by(Project.id)):
        if project.budget_amount is None or db.session.scalar(
            sa.select(BudgetLine.id).where(BudgetLine.project_id == project.id).limit(1)
        ):
            continue
        manager = project.managers[0]
        contract = db.session.scalar(sa.select(Contract).where(Contract.project_id == project.id))
        lines = {}
        for code, name, category, share in LINES:
            lines[code] = services.create_budget_line(
                project,
                services.BudgetLineData(
                    code=code,
                    name=name,
                    category=category,
                    planned_amount=_cents(project.budget_amount * share),
                    start_date=project.planned_start,
                    end_date=project.planned_end,
                ),
            )
        if contract is None or contract.signature_date is None:
            loaded += 1
            continue
        payee = project.private_party_id
        payer = project.public_authority_id
        start = max(contract.signature_date, date(2023, 1, 1))
        construction = lines["CAP-01"].planned_amount
        total = _cents(construction * PAID_SHARE.get(project.code, Decimal("0.30")))
        months = 14
        for month in range(months):
            when = start + timedelta(days=30 * month + 5)
            if when > today():
                break
            amount = _cents(total / months)
            data = dict(
                kind=TransactionKind.PAYMENT,
                transaction_date=when,
                amount=amount,
                currency=project.currency,
                budget_line_id=lines["CAP-01"].id,
                contract_id=contract.id,
                payer_id=payer,
                payee_id=payee,
                reference=f"{project.code[:4].upper()}-{when:%Y%m}-{month + 1:03d}",
                description=f"Payment certificate {month + 1}",
            )
            if project.code in FOREIGN and month % 4 == 3:
                currency, rate = FOREIGN[project.code]
                data.update(currency=currency, rate=rate, amount=_cents(amount / rate))
            services.record_transaction(project, services.TransactionData(**data), actor=manager)
            if month % 3 == 0:
                services.record_transaction(
                    project,
                    services.TransactionData(
                        kind=TransactionKind.COMMITMENT,
                        transaction_date=when,
                        amount=_cents(amount * 3),
                        currency=project.currency,
                        budget_line_id=lines["CAP-01"].id,
                        contract_id=contract.id,
                        payer_id=payer,
                        payee_id=payee,
                        reference=f"PO-{when:%Y%m}",
                        description="Purchase order for the next quarter",
                    ),
                    actor=manager,
                )
        _red_flag_cases(project, contract, lines, manager)
        loaded += 1
    return loaded


def _red_flag_cases(project, contract, lines, manager) -> None:
    """Seed the demo with one case of each red flag the auditors should see."""
    pay = TransactionKind.PAYMENT
    if project.code == "northgate-hospital":
        # Beyond what remains on its line: the contingency line is small.
        services.record_transaction(
            project,
            services.TransactionData(
                kind=pay,
                transaction_date=date(2025, 2, 14),
                amount=_cents(lines["CON-01"].planned_amount * Decimal("1.2")),
                currency=project.currency,
                budget_line_id=lines["CON-01"].id,
                contract_id=contract.id,
                payee_id=project.private_party_id,
                reference="NHT-VAR-007",
                description="Variation: ventilation redesign",
            ),
            actor=manager,
        )
    if project.code == "bayport-container-terminal":
        # The same invoice twice for one payee.
        for when in (date(2024, 9, 10), date(2024, 10, 2)):
            services.record_transaction(
                project,
                services.TransactionData(
                    kind=pay,
                    transaction_date=when,
                    amount=Decimal("1250000.00"),
                    currency=project.currency,
                    budget_line_id=lines["CAP-01"].id,
                    contract_id=contract.id,
                    payee_id=project.private_party_id,
                    reference="INV-2024-117",
                    description="Dredging works, invoice 117",
                ),
                actor=manager,
            )
    if project.code == "metro-light-rail-line-2":
        # Paid before the contract was signed (2023-07-14).
        services.record_transaction(
            project,
            services.TransactionData(
                kind=pay,
                transaction_date=date(2023, 6, 30),
                amount=Decimal("3400000.00"),
                currency=project.currency,
                budget_line_id=lines["CAP-01"].id,
                contract_id=contract.id,
                payee_id=project.private_party_id,
                reference="MTA-ADV-001",
                description="Advance for early works",
            ),
            actor=manager,
        )
    if project.code == "schools-bundle-phase-1":
        # No budget line.
        services.record_transaction(
            project,
            services.TransactionData(
                kind=pay,
                transaction_date=date(2024, 3, 20),
                amount=Decimal("86500.00"),
                currency=project.currency,
                contract_id=contract.id,
                payee_id=project.private_party_id,
                reference="DFE-MISC-88",
                description="Emergency roof repair, Hollins Green",
            ),
            actor=manager,
        )
    if project.code == "coastal-toll-road":
        # A receipt: the grantor's revenue share.
        party = db.session.scalar(
            sa.select(Party.id).where(Party.name == "Coastal Motorways SPV S.A.")
        )
        services.record_transaction(
            project,
            services.TransactionData(
                kind=TransactionKind.RECEIPT,
                transaction_date=date(2024, 4, 30),
                amount=Decimal("4120000.00"),
                currency=project.currency,
                budget_line_id=lines["OPX-01"].id,
                contract_id=contract.id,
                payer_id=party,
                payee_id=project.public_authority_id,
                reference="RS-2023",
                description="Revenue share above the base case, 2023",
            ),
            actor=manager,
        )
