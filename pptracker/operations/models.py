"""What happens while a PPP operates: performance, penalties, payments, tariffs, demand.

Every record belongs to one contract of the project (the contract sets the
period it may cover and the currency of its money). The public sees a record
only when neither it nor its contract is confidential (``pptracker.disclosure``).
"""

from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pptracker.confidentiality import ConfidentialMixin
from pptracker.database import (
    Audited,
    Base,
    ExactDecimal,
    SoftDeleteMixin,
    TimestampMixin,
    VersionedMixin,
)
from pptracker.enums import enum_column


class KpiUnit(StrEnum):
    """The kind of value a KPI is measured in; it decides which values are valid."""

    PERCENT = "percent"  # 0–100
    COUNT = "count"  # a whole number, 0 or more
    HOURS = "hours"  # 0 or more
    MINUTES = "minutes"  # 0 or more
    DAYS = "days"  # 0 or more
    NUMBER = "number"  # any number (an index, a score, a concentration …)
    YES_NO = "yesNo"  # 1 = yes (compliant), 0 = no


class Comparison(StrEnum):
    """How an observed value is held against the target."""

    AT_LEAST = "atLeast"  # met when value >= target
    AT_MOST = "atMost"  # met when value <= target


class Frequency(StrEnum):
    """How often a KPI is measured; periods are calendar months, quarters, halves, years."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "halfYearly"
    YEARLY = "yearly"


class KpiSource(StrEnum):
    """Who measures or reports a KPI."""

    OPERATOR = "operator"
    INDEPENDENT_ENGINEER = "independentEngineer"
    PUBLIC_AUTHORITY = "publicAuthority"
    USER_SURVEY = "userSurvey"


class FailureCategory(StrEnum):
    """What a KPI, or a performance failure, is about."""

    AVAILABILITY = "availability"
    SERVICE_QUALITY = "serviceQuality"
    SAFETY = "safety"
    ENVIRONMENTAL = "environmental"
    MAINTENANCE = "maintenance"
    REPORTING = "reporting"
    OTHER = "other"


class DeductionBasis(StrEnum):
    """How the contract prices one failure event of a KPI."""

    NONE = "none"  # monitored, no deduction
    AMOUNT = "amount"  # a fixed amount per failure event
    PERCENT = "percent"  # a percentage of the period's gross scheduled payment per event


class PaymentType(StrEnum):
    """Government payments in a contract's payment schedule (WB framework VI.2–VI.3)."""

    AVAILABILITY_PAYMENT = "availabilityPayment"
    SERVICE_PAYMENT = "servicePayment"
    CAPITAL_SUBSIDY = "capitalSubsidy"
    OPERATING_SUBSIDY = "operatingSubsidy"
    OTHER = "other"


#: Payment types reduced by performance deductions.
DEDUCTIBLE_PAYMENTS = frozenset({PaymentType.AVAILABILITY_PAYMENT, PaymentType.SERVICE_PAYMENT})


class PaidBy(StrEnum):
    """Who pays a tariff (OCDS for PPPs ``paidBy``)."""

    USER = "user"
    GOVERNMENT = "government"


class Metric(StrEnum):
    """What a demand-and-revenue series measures."""

    DEMAND = "demand"
    REVENUE = "revenue"


#: ExactDecimal columns are text on SQLite, so their CHECKs compare CAST(… AS NUMERIC).


class Kpi(Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A key performance indicator of a contract, with its target and deduction rule."""

    __tablename__ = "kpis"
    __table_args__ = (
        sa.UniqueConstraint("contract_id", "code", name="uq_kpis_contract_code"),
        sa.CheckConstraint(
            "deduction_amount IS NULL OR deduction_amount >= 0", "deduction_amount_nonnegative"
        ),
        sa.CheckConstraint(
            "deduction_percent IS NULL OR CAST(deduction_percent AS NUMERIC) BETWEEN 0 AND 100",
            "deduction_percent_between_0_and_100",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    #: Unique within the contract, e.g. ``AV-1``.
    code: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[FailureCategory] = mapped_column(enum_column(FailureCategory, 20))
    unit: Mapped[KpiUnit] = mapped_column(enum_column(KpiUnit, 16))
    comparison: Mapped[Comparison] = mapped_column(enum_column(Comparison, 16))
    target: Mapped[Decimal] = mapped_column(ExactDecimal(18, 4))
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, 16))
    source: Mapped[KpiSource] = mapped_column(enum_column(KpiSource, 24))
    #: The contract's deduction clause, in its own words.
    deduction_rule: Mapped[str] = mapped_column(sa.Text, default="")
    deduction_basis: Mapped[DeductionBasis] = mapped_column(
        enum_column(DeductionBasis, 16), default=DeductionBasis.NONE
    )
    #: Per failure event, in the contract currency (basis ``amount``).
    deduction_amount: Mapped[Decimal | None]
    #: Per failure event, percent of the gross scheduled payment (basis ``percent``).
    deduction_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(9, 4))

    contract: Mapped["Contract"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<Kpi id={self.id} {self.code}>"


class KpiObservation(Audited, TimestampMixin, VersionedMixin, Base):
    """A KPI's measured value for one period, and whether it met the target.

    ``met`` is decided by the service from the KPI's target when the value is
    written, so a later change of target does not rewrite history.
    Deleting an observation entered by mistake removes the row (the audit
    log keeps it).
    """

    __tablename__ = "kpi_observations"
    __table_args__ = (
        sa.UniqueConstraint("kpi_id", "period_start", name="uq_kpi_observations_kpi_period"),
        sa.CheckConstraint("events >= 0", "events_nonnegative"),
        sa.CheckConstraint("period_end >= period_start", "period_end_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kpi_id: Mapped[int] = mapped_column(sa.ForeignKey("kpis.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    value: Mapped[Decimal] = mapped_column(ExactDecimal(18, 4))
    met: Mapped[bool]
    #: Failure events counted in the period (0 when met).
    events: Mapped[int] = mapped_column(default=0)
    #: Who reported the value (operator, independent engineer …).
    source: Mapped[KpiSource] = mapped_column(enum_column(KpiSource, 24))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    kpi: Mapped[Kpi] = relationship()
    reported_by: Mapped["User | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<KpiObservation kpi={self.kpi_id} {self.period_start} {self.value}>"


class PerformanceFailure(Audited, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A performance failure in a period and the penalty contracted, imposed and paid.

    Failed KPI observations create one (``observation_id`` set); others are
    recorded by hand. Amounts are in ``currency`` (the contract's).
    """

    __tablename__ = "performance_failures"
    __table_args__ = (
        sa.UniqueConstraint("observation_id", name="uq_performance_failures_observation_id"),
        sa.CheckConstraint("events >= 0", "events_nonnegative"),
        sa.CheckConstraint("period_end >= period_start", "period_end_after_start"),
        sa.CheckConstraint("penalty_contracted >= 0", "contracted_nonnegative"),
        sa.CheckConstraint("penalty_imposed >= 0", "imposed_nonnegative"),
        sa.CheckConstraint("penalty_paid >= 0", "paid_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    kpi_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kpis.id"), index=True)
    observation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kpi_observations.id"))
    category: Mapped[FailureCategory] = mapped_column(enum_column(FailureCategory, 20))
    period_start: Mapped[date]
    period_end: Mapped[date]
    events: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: What the contract's rule gives for these events.
    penalty_contracted: Mapped[Decimal]
    #: What the authority decided to apply (deducted from the payment).
    penalty_imposed: Mapped[Decimal]
    #: What was actually deducted or paid so far.
    penalty_paid: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))

    contract: Mapped["Contract"] = relationship()  # noqa: F821
    kpi: Mapped[Kpi | None] = relationship()
    observation: Mapped[KpiObservation | None] = relationship()

    def __repr__(self) -> str:
        return f"<PerformanceFailure id={self.id} {self.category} {self.period_start}>"


class ScheduledPayment(
    Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base
):
    """A government payment the contract schedules for a period (gross, before deductions).

    Payments recorded in budgets point here through
    ``Transaction.scheduled_payment_id``; what was paid is their sum.
    """

    __tablename__ = "scheduled_payments"
    __table_args__ = (
        sa.CheckConstraint("gross_amount >= 0", "gross_nonnegative"),
        sa.CheckConstraint("period_end >= period_start", "period_end_after_start"),
        sa.Index("ix_scheduled_payments_contract_period", "contract_id", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"))
    #: The fiscal commitment this payment is part of, if recorded.
    fiscal_commitment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("fiscal_commitments.id"), index=True
    )
    type: Mapped[PaymentType] = mapped_column(enum_column(PaymentType, 24))
    period_start: Mapped[date]
    period_end: Mapped[date]
    due_date: Mapped[date | None]
    gross_amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    contract: Mapped["Contract"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<ScheduledPayment id={self.id} {self.type} {self.period_start}>"


class Tariff(Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A line of a contract's tariff table; its values are kept in ``TariffRate``."""

    __tablename__ = "tariffs"
    __table_args__ = (sa.UniqueConstraint("contract_id", "code", name="uq_tariffs_contract_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    #: Unique within the contract, e.g. ``T-CL1``.
    code: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(200))
    paid_by: Mapped[PaidBy] = mapped_column(enum_column(PaidBy, 16))
    #: Who pays, in words (e.g. "cars and vans, class 1").
    payer_group: Mapped[str] = mapped_column(sa.String(200), default="")
    #: What one value buys, e.g. "per trip", "per m³", "per kWh".
    unit: Mapped[str] = mapped_column(sa.String(60))
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: How the tariff was set (WB framework VII.2).
    setting_method: Mapped[str] = mapped_column(sa.Text, default="")
    #: How and when it is reviewed or indexed (VII.3).
    review_method: Mapped[str] = mapped_column(sa.Text, default="")

    contract: Mapped["Contract"] = relationship()  # noqa: F821
    rates: Mapped[list["TariffRate"]] = relationship(
        back_populates="tariff", order_by="TariffRate.effective_from"
    )

    def __repr__(self) -> str:
        return f"<Tariff id={self.id} {self.code}>"


#: Tariff rates are appended, never changed or deleted; the database refuses
#: otherwise. The migration carries its own copy (migrations never import models).
FROZEN_MESSAGE_TARIFF_RATE = "tariff rates are append-only"
TARIFF_RATE_DDL = {
    "sqlite": [
        "CREATE TRIGGER tariff_rates_frozen BEFORE UPDATE ON tariff_rates "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE_TARIFF_RATE}'); END",
        "CREATE TRIGGER tariff_rates_no_delete BEFORE DELETE ON tariff_rates "
        f"BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE_TARIFF_RATE}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END $$",
        "CREATE TRIGGER tariff_rates_frozen BEFORE UPDATE OR DELETE ON tariff_rates "
        f"FOR EACH ROW EXECUTE FUNCTION refuse_change('{FROZEN_MESSAGE_TARIFF_RATE}')",
    ],
}


class TariffRate(Audited, TimestampMixin, Base):
    """A tariff's value from a date on, with the reason it was set: appended, never edited."""

    __tablename__ = "tariff_rates"
    __table_args__ = (
        sa.UniqueConstraint("tariff_id", "effective_from", name="uq_tariff_rates_tariff_from"),
        sa.CheckConstraint("CAST(value AS NUMERIC) >= 0", "value_nonnegative"),
        sa.CheckConstraint("length(reason) > 0", "reason_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tariff_id: Mapped[int] = mapped_column(sa.ForeignKey("tariffs.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    effective_from: Mapped[date]
    #: In the tariff's currency, up to four decimals (e.g. 0.1375 per kWh).
    value: Mapped[Decimal] = mapped_column(ExactDecimal(18, 4))
    reason: Mapped[str] = mapped_column(sa.Text)
    #: Who decided it (a regulator, the authority, the contract's indexation clause).
    approved_by: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The renegotiation that changed it, when one did.
    amendment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("amendments.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    tariff: Mapped[Tariff] = relationship(back_populates="rates")

    def __repr__(self) -> str:
        return f"<TariffRate tariff={self.tariff_id} {self.effective_from} {self.value}>"


class DemandSeries(
    Audited, ConfidentialMixin, TimestampMixin, VersionedMixin, SoftDeleteMixin, Base
):
    """A yearly measure of use or income: traffic, patients, m³, MWh, revenue."""

    __tablename__ = "demand_series"
    __table_args__ = (sa.UniqueConstraint("contract_id", "name", name="uq_demand_series_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    metric: Mapped[Metric] = mapped_column(enum_column(Metric, 16))
    name: Mapped[str] = mapped_column(sa.String(200))
    #: What is counted ("vehicle-trips", "patients", "m³", "MWh"); for revenue, the currency.
    unit: Mapped[str] = mapped_column(sa.String(60))
    #: For revenue series: the currency of the values.
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    contract: Mapped["Contract"] = relationship()  # noqa: F821
    values: Mapped[list["DemandValue"]] = relationship(
        back_populates="series", order_by="DemandValue.year"
    )

    def __repr__(self) -> str:
        return f"<DemandSeries id={self.id} {self.metric} {self.name!r}>"


class DemandValue(Audited, TimestampMixin, VersionedMixin, Base):
    """One year of a series: the contract's forecast and the actual figure."""

    __tablename__ = "demand_values"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "year", name="uq_demand_values_series_year"),
        sa.CheckConstraint("year >= 1950 AND year <= 2150", "year_plausible"),
        sa.CheckConstraint(
            "forecast IS NULL OR CAST(forecast AS NUMERIC) >= 0", "forecast_nonnegative"
        ),
        sa.CheckConstraint("actual IS NULL OR CAST(actual AS NUMERIC) >= 0", "actual_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("demand_series.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    year: Mapped[int]
    forecast: Mapped[Decimal | None] = mapped_column(ExactDecimal(20, 4))
    actual: Mapped[Decimal | None] = mapped_column(ExactDecimal(20, 4))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    series: Mapped[DemandSeries] = relationship(back_populates="values")

    def __repr__(self) -> str:
        return f"<DemandValue series={self.series_id} {self.year}>"


for _dialect, _statements in TARIFF_RATE_DDL.items():
    for _statement in _statements:
        sa.event.listen(
            TariffRate.__table__, "after_create", sa.DDL(_statement).execute_if(dialect=_dialect)
        )
