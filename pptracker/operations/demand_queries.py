"""Reads about demand and revenue: forecast against actual per year, with the variance.

Plain data only, so the pages, the public portal and the PDF reports share
them; two SQL statements whatever the number of series and years.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from pptracker.contracts.models import Contract
from pptracker.disclosure import Redacted, withhold
from pptracker.extensions import db
from pptracker.operations.models import DemandSeries, DemandValue, Metric
from pptracker.values import percent_change


def variance_percent(actual: Decimal | None, forecast: Decimal | None) -> Decimal | None:
    """Return (actual − forecast) / forecast in percent, one decimal; None when unknown."""
    if actual is None or forecast is None:
        return None
    return percent_change(actual, forecast)


@dataclass(frozen=True)
class YearRow:
    """One year of a series: forecast, actual and how far apart they are."""

    value_id: int
    year: int
    forecast: Decimal | None
    actual: Decimal | None
    note: str

    @property
    def variance(self) -> Decimal | None:
        """Actual minus forecast; None unless both are known."""
        if self.actual is None or self.forecast is None:
            return None
        return self.actual - self.forecast

    @property
    def variance_percent(self) -> Decimal | None:
        """The variance as a percentage of the forecast; None when unknown or forecast 0."""
        return variance_percent(self.actual, self.forecast)


@dataclass(frozen=True)
class SeriesOverview:
    """A series with its years and the totals over the years having both figures."""

    id: int
    version: int
    contract_id: int
    contract_reference: str
    metric: Metric
    name: str
    unit: str
    currency: str | None
    description: str
    confidential: bool
    confidential_reason: str | None
    rows: list[YearRow] = field(default_factory=list)

    @property
    def compared(self) -> list[YearRow]:
        """Return the years with both a forecast and an actual figure."""
        return [row for row in self.rows if row.forecast is not None and row.actual is not None]

    @property
    def forecast_total(self) -> Decimal | None:
        """Sum of the forecasts of the compared years (None when there is none)."""
        rows = self.compared
        return sum((row.forecast for row in rows), Decimal(0)) if rows else None

    @property
    def actual_total(self) -> Decimal | None:
        """Sum of the actual figures of the compared years (None when there is none)."""
        rows = self.compared
        return sum((row.actual for row in rows), Decimal(0)) if rows else None

    @property
    def variance_total(self) -> Decimal | None:
        """Actual minus forecast over the compared years."""
        if self.actual_total is None:
            return None
        return self.actual_total - self.forecast_total

    @property
    def variance_total_percent(self) -> Decimal | None:
        """The total variance as a percentage of the compared forecast."""
        return variance_percent(self.actual_total, self.forecast_total)


@dataclass(frozen=True)
class DemandOverview:
    """A project's series, by contract order, and what is withheld."""

    series: list[SeriesOverview]
    redacted: list[Redacted]


def _kind(series: DemandSeries) -> str:
    return "revenue series" if series.metric == Metric.REVENUE else "demand series"


def demand_overview(
    project_id: int, *, hide_confidential: bool, series_id: int | None = None
) -> DemandOverview:
    """Return the project's live series with forecast, actual and variance per year.

    :param hide_confidential: for the public: a series that is confidential,
        or whose contract is confidential or deleted, becomes a ``Redacted``
        notice with the reason.
    :param series_id: only this series (for its pages).
    :return: two SQL statements whatever the number of series and years.
    """
    statement = (
        sa.select(DemandSeries, Contract)
        .join(Contract, Contract.id == DemandSeries.contract_id)
        .where(DemandSeries.project_id == project_id, DemandSeries.is_deleted.is_(False))
        .order_by(
            Contract.is_deleted,
            Contract.signature_date.is_(None),
            Contract.signature_date,
            Contract.id,
            DemandSeries.metric,
            DemandSeries.name,
        )
    )
    if series_id is not None:
        statement = statement.where(DemandSeries.id == series_id)
    pairs = db.session.execute(statement).all()
    shown, redacted = withhold(pairs, hide_confidential=hide_confidential, kind=_kind)
    years: dict[int, list[YearRow]] = defaultdict(list)
    if shown:
        for value in db.session.scalars(
            sa.select(DemandValue)
            .where(DemandValue.series_id.in_([s.id for s, _c in shown]))
            .order_by(DemandValue.series_id, DemandValue.year)
        ):
            years[value.series_id].append(
                YearRow(value.id, value.year, value.forecast, value.actual, value.note)
            )
    return DemandOverview(
        series=[
            SeriesOverview(
                id=series.id,
                version=series.version,
                contract_id=contract.id,
                contract_reference=contract.reference,
                metric=series.metric,
                name=series.name,
                unit=series.unit,
                currency=series.currency,
                description=series.description,
                confidential=series.confidential,
                confidential_reason=series.confidential_reason,
                rows=years.get(series.id, []),
            )
            for series, contract in shown
        ],
        redacted=redacted,
    )


def get_series(project_id: int, series_id: int) -> DemandSeries | None:
    """Return a live series of the project (for editing), or None."""
    return db.session.scalar(
        sa.select(DemandSeries).where(
            DemandSeries.id == series_id,
            DemandSeries.project_id == project_id,
            DemandSeries.is_deleted.is_(False),
        )
    )


def get_value(series_id: int, value_id: int) -> DemandValue | None:
    """Return a year of the series, or None."""
    return db.session.scalar(
        sa.select(DemandValue).where(DemandValue.id == value_id, DemandValue.series_id == series_id)
    )


def export_rows(project_id: int, *, hide_confidential: bool) -> list[list]:
    """Return one list of cells per year, in ``demand_csv.EXPORT_COLUMNS`` order."""
    overview = demand_overview(project_id, hide_confidential=hide_confidential)
    return [
        [
            series.contract_reference,
            series.name,
            row.year,
            "" if row.forecast is None else row.forecast,
            "" if row.actual is None else row.actual,
            row.note,
            series.metric.value,
            series.unit,
            "" if row.variance is None else row.variance,
            "" if row.variance_percent is None else row.variance_percent,
        ]
        for series in overview.series
        for row in series.rows
    ]
