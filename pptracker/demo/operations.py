"""Demo operations: three projects in operation with years of KPIs, penalties,
payments, tariffs, demand and revenue.

- Coastal Expressway (user pays): quarterly KPIs with fixed-amount
  deductions, a toll table indexed every January (frozen in 2021 under the
  extension amendment), traffic and toll revenue against the base case.
- Schools Bundle (government pays): monthly KPIs with percentage deductions
  from the monthly availability payment, the payment schedule and the
  payments made; one month was paid without its deduction (a red flag).
- Lakeside Water (hybrid): quarterly KPIs, a quarterly service payment,
  water tariffs (the industrial offtake tariff is confidential), volumes.

Periods run up to the last complete one before today, so the data stay
plausible whenever the demo is loaded; values are fixed by formula so two
loads on the same day give the same records.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from pptracker.budgets import services as budget_services
from pptracker.budgets.models import BudgetLine, TransactionKind
from pptracker.contracts.models import Amendment, Contract
from pptracker.database import today
from pptracker.extensions import db
from pptracker.operations import demand_services, kpi_services, payment_services, periods
from pptracker.operations import tariff_services as tariffs
from pptracker.operations.models import (
    Comparison,
    DeductionBasis,
    FailureCategory,
    Frequency,
    Kpi,
    KpiSource,
    KpiUnit,
    Metric,
    PaidBy,
    PaymentType,
)
from pptracker.projects.models import Project


@dataclass
class OperationsSummary:
    """What the demo operations load created."""

    projects: int = 0
    kpis: int = 0
    observations: int = 0
    tariffs: int = 0
    scheduled_payments: int = 0
    series: int = 0


# KPI: code, name, category, unit, comparison, target, frequency, source, rule, basis, amount,
# percent, (good value, failed value), failing period indexes (counted from the first period).
_Kpi = tuple

KPIS: dict[str, list[_Kpi]] = {
    "coastal-toll-road": [
        (
            "AV-1",
            "Lane availability",
            FailureCategory.AVAILABILITY,
            KpiUnit.PERCENT,
            Comparison.AT_LEAST,
            "99.0",
            Frequency.QUARTERLY,
            KpiSource.INDEPENDENT_ENGINEER,
            "Schedule 7, clause 4.2: EUR 50,000 for each lane-closure event beyond the "
            "permitted 1 % of lane-hours in a quarter.",
            DeductionBasis.AMOUNT,
            "50000.00",
            None,
            ("99.6", "98.1"),
            {2, 9},
        ),
        (
            "SF-1",
            "Incident response time (95th percentile)",
            FailureCategory.SAFETY,
            KpiUnit.MINUTES,
            Comparison.AT_MOST,
            "30",
            Frequency.QUARTERLY,
            KpiSource.OPERATOR,
            "Schedule 7, clause 5.1: EUR 10,000 per incident answered later than 30 minutes.",
            DeductionBasis.AMOUNT,
            "10000.00",
            None,
            ("24", "41"),
            {5},
        ),
        (
            "PV-1",
            "Pavement roughness (IRI, m/km)",
            FailureCategory.MAINTENANCE,
            KpiUnit.NUMBER,
            Comparison.AT_MOST,
            "2.50",
            Frequency.QUARTERLY,
            KpiSource.INDEPENDENT_ENGINEER,
            "Schedule 7, clause 6.3: EUR 25,000 per kilometre above the roughness limit.",
            DeductionBasis.AMOUNT,
            "25000.00",
            None,
            ("2.10", "2.74"),
            {7},
        ),
    ],
    "schools-bundle-phase-1": [
        (
            "AV-1",
            "Teaching spaces available",
            FailureCategory.AVAILABILITY,
            KpiUnit.PERCENT,
            Comparison.AT_LEAST,
            "99.5",
            Frequency.MONTHLY,
            KpiSource.OPERATOR,
            "Payment mechanism, part 2: 2 % of the monthly unitary charge for each unavailable "
            "teaching space not rectified within the rectification period.",
            DeductionBasis.PERCENT,
            None,
            "2.0",
            ("99.9", "98.7"),
            {4, 17, 29},
        ),
        (
            "SQ-1",
            "Classroom temperature within 18–24 °C",
            FailureCategory.SERVICE_QUALITY,
            KpiUnit.PERCENT,
            Comparison.AT_LEAST,
            "97",
            Frequency.MONTHLY,
            KpiSource.OPERATOR,
            "Payment mechanism, part 3: GBP 1,500 per school-day outside the range.",
            DeductionBasis.AMOUNT,
            "1500.00",
            None,
            ("98.8", "95.2"),
            {1, 13, 25},
        ),
        (
            "HD-1",
            "Helpdesk calls answered late",
            FailureCategory.SERVICE_QUALITY,
            KpiUnit.COUNT,
            Comparison.AT_MOST,
            "3",
            Frequency.MONTHLY,
            KpiSource.OPERATOR,
            "Payment mechanism, part 3: GBP 250 for each late answer beyond three a month.",
            DeductionBasis.AMOUNT,
            "250.00",
            None,
            ("1", "7"),
            {8},
        ),
        (
            "RP-1",
            "Monthly service report on time",
            FailureCategory.REPORTING,
            KpiUnit.YES_NO,
            Comparison.AT_LEAST,
            "1",
            Frequency.MONTHLY,
            KpiSource.PUBLIC_AUTHORITY,
            "Monitored; repeated lateness is a warning notice under clause 31.",
            DeductionBasis.NONE,
            None,
            None,
            ("1", "0"),
            {11},
        ),
    ],
    "lakeside-water-treatment": [
        (
            "WQ-1",
            "Treated water meeting drinking-water standards",
            FailureCategory.SERVICE_QUALITY,
            KpiUnit.PERCENT,
            Comparison.AT_LEAST,
            "99.5",
            Frequency.QUARTERLY,
            KpiSource.INDEPENDENT_ENGINEER,
            "Annex D, clause 3: USD 40,000 per non-compliant sample series.",
            DeductionBasis.AMOUNT,
            "40000.00",
            None,
            ("99.8", "99.1"),
            {3},
        ),
        (
            "AV-1",
            "Plant capacity available",
            FailureCategory.AVAILABILITY,
            KpiUnit.PERCENT,
            Comparison.AT_LEAST,
            "98",
            Frequency.QUARTERLY,
            KpiSource.OPERATOR,
            "Annex D, clause 5: 5 % of the quarterly capacity payment per week below 98 %.",
            DeductionBasis.PERCENT,
            None,
            "5.0",
            ("99.2", "96.4"),
            {6},
        ),
        (
            "NR-1",
            "Non-revenue water",
            FailureCategory.OTHER,
            KpiUnit.PERCENT,
            Comparison.AT_MOST,
            "25",
            Frequency.QUARTERLY,
            KpiSource.OPERATOR,
            "Monitored only; the target falls to 20 % from 2028.",
            DeductionBasis.NONE,
            None,
            None,
            ("22.4", "26.9"),
            {0, 1},
        ),
    ],
}

#: The first KPI period of each project, and the gross scheduled payment (type, months, amount).
FIRST_PERIOD = {
    "coastal-toll-road": date(2023, 1, 1),
    "schools-bundle-phase-1": date(2024, 1, 1),
    "lakeside-water-treatment": date(2024, 1, 1),
}
SCHEDULES = {
    "schools-bundle-phase-1": (
        PaymentType.AVAILABILITY_PAYMENT,
        1,
        Decimal("950000.00"),
        48,
        "Monthly unitary charge for the 40 schools",
    ),
    "lakeside-water-treatment": (
        PaymentType.SERVICE_PAYMENT,
        3,
        Decimal("2100000.00"),
        16,
        "Quarterly capacity payment",
    ),
}
#: The schools' payment for this period index was made in full despite its deduction.
UNDEDUCTED_PERIOD = 17

# Tariffs: code, title, paid by, payer group, unit, setting method, review method,
# confidential reason, [(effective from, value, reason, approved by)].
TARIFFS = {
    "coastal-toll-road": [
        (
            "T-CL1",
            "Full section toll, class 1",
            PaidBy.USER,
            "Cars and vans",
            "per trip",
            "Set in the bid (lowest tariff for the base-case traffic) and fixed in schedule 9.",
            "Indexed every 1 January to 90 % of consumer-price inflation; reviewed with the "
            "grantor when traffic differs from the base case by more than 20 % for two years.",
            None,
            [
                (
                    date(2017, 9, 1),
                    "7.45",
                    "Tariff at opening of the expressway",
                    "Concession contract, schedule 9",
                ),
                (
                    date(2019, 1, 1),
                    "7.70",
                    "Annual indexation (2017–2018 inflation)",
                    "Ministry of Transport",
                ),
                (date(2020, 1, 1), "7.85", "Annual indexation", "Ministry of Transport"),
                (
                    date(2022, 1, 1),
                    "8.20",
                    "Annual indexation after the 2021 freeze",
                    "Ministry of Transport",
                ),
                (
                    date(2023, 1, 1),
                    "8.75",
                    "Annual indexation (high 2022 inflation)",
                    "Ministry of Transport",
                ),
                (date(2024, 1, 1), "9.05", "Annual indexation", "Ministry of Transport"),
                (date(2025, 1, 1), "9.25", "Annual indexation", "Ministry of Transport"),
            ],
        ),
        (
            "T-CL3",
            "Full section toll, class 3",
            PaidBy.USER,
            "Lorries with three axles or more",
            "per trip",
            "Twice the class 1 tariff, schedule 9.",
            "Indexed with class 1.",
            None,
            [
                (
                    date(2017, 9, 1),
                    "14.90",
                    "Tariff at opening of the expressway",
                    "Concession contract, schedule 9",
                ),
                (date(2020, 1, 1), "15.70", "Indexation 2018–2020", "Ministry of Transport"),
                (
                    date(2022, 1, 1),
                    "16.40",
                    "Annual indexation after the 2021 freeze",
                    "Ministry of Transport",
                ),
                (date(2024, 1, 1), "18.10", "Indexation 2023–2024", "Ministry of Transport"),
            ],
        ),
    ],
    "lakeside-water-treatment": [
        (
            "W-RES",
            "Bulk treated water, residential supply",
            PaidBy.USER,
            "Municipal utility, for households",
            "per m³",
            "Cost-recovery tariff set by the water regulator at financial close.",
            "Reviewed every three years by the regulator; indexed yearly to the US CPI.",
            None,
            [
                (
                    date(2019, 7, 1),
                    "0.6200",
                    "Tariff at commissioning",
                    "Lakeside Water Regulatory Board",
                ),
                (
                    date(2022, 7, 1),
                    "0.6650",
                    "Three-year review",
                    "Lakeside Water Regulatory Board",
                ),
                (
                    date(2025, 7, 1),
                    "0.7120",
                    "Three-year review (energy costs)",
                    "Lakeside Water Regulatory Board",
                ),
            ],
        ),
        (
            "W-IND",
            "Bulk treated water, industrial offtaker",
            PaidBy.USER,
            "Lakeside Industrial Zone",
            "per m³",
            "Negotiated take-or-pay offtake agreement.",
            "Renegotiated every five years.",
            "Commercially sensitive: single-offtaker price, disclosure refused under clause 44",
            [(date(2019, 7, 1), "0.9800", "Offtake agreement price", "Offtake agreement")],
        ),
    ],
}

# Demand and revenue: metric, name, unit, currency, first year, forecasts, actuals.
SERIES = {
    "coastal-toll-road": [
        (
            Metric.DEMAND,
            "Traffic (vehicle-trips per year)",
            "vehicle-trips",
            None,
            2018,
            [
                9_800_000,
                10_100_000,
                10_400_000,
                10_700_000,
                11_000_000,
                11_300_000,
                11_600_000,
                11_900_000,
                12_200_000,
                12_500_000,
            ],
            [
                8_950_000,
                9_310_000,
                6_420_000,
                7_880_000,
                9_120_000,
                9_640_000,
                9_980_000,
                10_150_000,
            ],
        ),
        (
            Metric.REVENUE,
            "Toll revenue",
            "EUR",
            "EUR",
            2018,
            [
                74_000_000,
                79_000_000,
                82_000_000,
                85_000_000,
                89_000_000,
                93_000_000,
                97_000_000,
                101_000_000,
                105_000_000,
                109_000_000,
            ],
            [
                68_915_000,
                72_870_500,
                50_397_000,
                61_858_000,
                74_784_000,
                84_350_000,
                90_318_000,
                93_887_500,
            ],
        ),
    ],
    "schools-bundle-phase-1": [
        (
            Metric.DEMAND,
            "Pupils enrolled",
            "pupils",
            None,
            2021,
            [18_500, 18_900, 19_300, 19_700, 20_000, 20_000],
            [17_950, 18_420, 19_010, 19_480, 19_730],
        ),
    ],
    "lakeside-water-treatment": [
        (
            Metric.DEMAND,
            "Treated water delivered",
            "m³",
            None,
            2020,
            [41_000_000, 43_500_000, 46_000_000, 48_500_000, 51_000_000, 53_500_000, 56_000_000],
            [38_200_000, 40_950_000, 44_100_000, 47_900_000, 50_350_000, 52_100_000],
        ),
    ],
}


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _periods(first: date, frequency: Frequency):
    """Yield the periods from ``first`` up to the last one ended before today."""
    start = first
    while True:
        start, end = periods.period_of(frequency, start)
        if end >= today():
            return
        yield start, end
        start = end + timedelta(days=1)


def load_operations(users) -> OperationsSummary:
    """Create the operations records of the demo projects in operation, once."""
    summary = OperationsSummary()
    for code in KPIS:
        project = db.session.scalar(sa.select(Project).where(Project.code == code))
        if project is None or db.session.scalar(
            sa.select(Kpi.id).where(Kpi.project_id == project.id).limit(1)
        ):
            continue
        contract = db.session.scalar(
            sa.select(Contract).where(Contract.project_id == project.id).order_by(Contract.id)
        )
        manager = project.managers[0]
        payments = _load_schedule(project, contract, summary)
        _load_kpis(project, contract, manager, summary)
        _pay(project, contract, manager, payments)
        _load_tariffs(project, contract, manager, summary)
        _load_series(project, contract, summary)
        summary.projects += 1
    return summary


def _load_schedule(project, contract, summary) -> list:
    if project.code not in SCHEDULES:
        return []
    kind, months, gross, count, description = SCHEDULES[project.code]
    first = FIRST_PERIOD[project.code]
    end = _add_months(first, months) - timedelta(days=1)
    created = payment_services.create_series(
        project,
        payment_services.ScheduledPaymentData(
            contract_id=contract.id,
            type=kind,
            period_start=first,
            period_end=end,
            gross_amount=gross,
            due_date=end + timedelta(days=15),
            description=description,
        ),
        every_months=months,
        count=count,
    )
    summary.scheduled_payments += len(created)
    return created


def _load_kpis(project, contract, manager, summary) -> None:
    for (
        code,
        name,
        category,
        unit,
        comparison,
        target,
        frequency,
        source,
        rule,
        basis,
        amount,
        percent,
        (good, bad),
        failing,
    ) in KPIS[project.code]:
        kpi = kpi_services.create_kpi(
            project,
            kpi_services.KpiData(
                contract_id=contract.id,
                code=code,
                name=name,
                category=category,
                unit=unit,
                comparison=comparison,
                target=Decimal(target),
                frequency=frequency,
                source=source,
                deduction_rule=rule,
                deduction_basis=basis,
                deduction_amount=Decimal(amount) if amount else None,
                deduction_percent=Decimal(percent) if percent else None,
            ),
        )
        summary.kpis += 1
        for index, (start, _end) in enumerate(_periods(FIRST_PERIOD[project.code], frequency)):
            failed = index in failing
            kpi_services.record_observation(
                project,
                kpi_services.ObservationData(
                    kpi_id=kpi.id,
                    period=periods.label(frequency, start),
                    value=bad if failed else good,
                    events=(index % 3) + 1 if failed and basis != DeductionBasis.NONE else None,
                    note="Rectified after the period; deduction applied." if failed else "",
                ),
                actor=manager,
            )
            summary.observations += 1


def _pay(project, contract, manager, payments) -> None:
    """Record the payment of each ended period; one of them ignores its deduction."""
    if not payments:
        return
    from pptracker.operations.payment_queries import schedule

    line = db.session.scalar(
        sa.select(BudgetLine).where(
            BudgetLine.project_id == project.id, BudgetLine.code == "OPX-01"
        )
    )
    rows = {row.id: row for row in schedule(project.id, hide_confidential=False, today=today())}
    for index, payment in enumerate(payments):
        paid_on = payment.period_end + timedelta(days=1)
        if paid_on > today():
            break
        row = rows[payment.id]
        amount = payment.gross_amount if index == UNDEDUCTED_PERIOD else row.net_due
        if amount <= 0:
            continue
        budget_services.record_transaction(
            project,
            budget_services.TransactionData(
                kind=TransactionKind.PAYMENT,
                transaction_date=paid_on,
                amount=amount,
                currency=payment.currency,
                budget_line_id=line.id if line else None,
                contract_id=contract.id,
                payer_id=project.public_authority_id,
                payee_id=project.private_party_id,
                reference=f"{project.code[:4].upper()}-AP-{payment.period_start:%Y%m}",
                description=f"{payment.description}, {payment.period_start:%B %Y}",
                scheduled_payment_id=payment.id,
            ),
            actor=manager,
        )


def _load_tariffs(project, contract, manager, summary) -> None:
    amendment = db.session.scalar(
        sa.select(Amendment).where(
            Amendment.contract_id == contract.id, Amendment.type == "duration"
        )
    )
    for code, title, paid_by, group, unit, setting, review, secret, rates in TARIFFS.get(
        project.code, []
    ):
        first, *changes = rates
        tariff = tariffs.create_tariff(
            project,
            tariffs.TariffData(
                contract_id=contract.id,
                code=code,
                title=title,
                paid_by=paid_by,
                unit=unit,
                currency=contract.currency,
                payer_group=group,
                setting_method=setting,
                review_method=review
                + (
                    " In 2021 the tariff was frozen for the year under the extension amendment."
                    if project.code == "coastal-toll-road"
                    else ""
                ),
                confidential=secret is not None,
                confidential_reason=secret,
            ),
            tariffs.RateChange(
                effective_from=first[0], value=first[1], reason=first[2], approved_by=first[3]
            ),
            actor=manager,
        )
        for effective_from, value, reason, approved_by in changes:
            tariffs.change_rate(
                tariff,
                tariffs.RateChange(
                    effective_from=effective_from,
                    value=value,
                    reason=reason,
                    approved_by=approved_by,
                    amendment_id=amendment.id
                    if amendment is not None and effective_from.year == 2022
                    else None,
                ),
                actor=manager,
            )
        summary.tariffs += 1


def _load_series(project, contract, summary) -> None:
    for metric, name, unit, currency, first_year, forecasts, actuals in SERIES.get(
        project.code, []
    ):
        series = demand_services.create_series(
            project,
            demand_services.SeriesData(
                contract_id=contract.id, metric=metric, name=name, unit=unit, currency=currency
            ),
        )
        rows = []
        for offset, forecast in enumerate(forecasts):
            year = first_year + offset
            actual = actuals[offset] if offset < len(actuals) and year < today().year else None
            rows.append(
                demand_services.YearData(
                    year=year,
                    forecast=Decimal(forecast),
                    actual=None if actual is None else Decimal(actual),
                )
            )
        demand_services.set_years(series, rows)
        summary.series += 1
