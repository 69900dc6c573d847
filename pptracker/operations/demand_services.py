"""Demand and revenue rules: yearly series of a contract, forecast against actual."""

import logging
from dataclasses import dataclass, replace
from decimal import Decimal

import sqlalchemy as sa

from pptracker.contracts.services import check_confidentiality
from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import periods
from pptracker.operations.models import DemandSeries, DemandValue, Metric
from pptracker.operations.periods import live_contract
from pptracker.values import currency_code, parse_decimal

logger = logging.getLogger(__name__)

#: Demand is counted with up to four decimals (m³, MWh …); revenue is money.
DEMAND_PLACES = 4
REVENUE_PLACES = 2
#: The largest figure an ``ExactDecimal(20, 4)`` column holds.
MAX_FIGURE = Decimal("9999999999999999.9999")


@dataclass
class SeriesData:
    """A series' editable details (from the form or an importer)."""

    contract_id: int | None
    metric: Metric
    name: str
    unit: str
    currency: str | None = None
    description: str = ""
    confidential: bool = False
    confidential_reason: str | None = None


@dataclass
class YearData:
    """One year of a series: the contract's forecast and the actual figure."""

    year: int | str | None
    forecast: Decimal | str | None
    actual: Decimal | str | None
    note: str = ""


@dataclass(frozen=True)
class YearProblem:
    """What is wrong with one row given to ``set_years``."""

    index: int  # the row's position in the list given
    year: int | None  # the year, when it could be read
    field: str | None  # year, forecast, actual or note
    message: str


class YearsError(DomainError):
    """Some rows given to ``set_years`` are invalid; nothing was saved.

    ``problems`` holds one entry per problem, by the row's position in the
    list given, so a grid form shows each beside its row.
    """

    def __init__(self, problems: list[YearProblem]):
        count = len({p.index for p in problems})
        super().__init__(
            f"{count} row{'s have' if count != 1 else ' has'} a problem, so nothing was saved: "
            "see the messages beside them."
        )
        self.problems = problems

    def for_row(self, index: int) -> list[YearProblem]:
        """Return the problems of the row at ``index``."""
        return [p for p in self.problems if p.index == index]


# --- series -------------------------------------------------------------------------------


def _validate_series(project, data: SeriesData, series: DemandSeries | None) -> SeriesData:
    """Return cleaned data, or raise on the first invalid field."""
    if series is not None and data.contract_id != series.contract_id:
        raise DomainError(
            "A series stays with its contract: add a new series to the other contract instead.",
            field="contract_id",
        )
    contract = live_contract(project, data.contract_id)
    try:
        metric = Metric(data.metric)
    except ValueError:
        raise DomainError(
            "Choose what the series measures: demand or revenue.", field="metric"
        ) from None
    if series is not None and metric != series.metric and series.values:
        raise DomainError(
            "The series already has years recorded: it stays a "
            f"{series.metric.value} series. Add a new series instead.",
            field="metric",
        )
    name = (data.name or "").strip()
    if not name:
        raise DomainError("Give the series a name, e.g. Traffic (vehicle-trips).", field="name")
    if len(name) > 200:
        raise DomainError("The name is at most 200 characters.", field="name")
    if metric == Metric.REVENUE:
        # Revenue is counted in money: its unit is its currency.
        if not (data.currency or "").strip():
            raise DomainError("Choose the currency the revenue is counted in.", field="currency")
        currency = currency_code(data.currency, "")
        unit = currency
    else:
        currency = None
        unit = (data.unit or "").strip()
        if not unit:
            raise DomainError(
                "Give the unit counted, e.g. vehicle-trips, patients, m³, MWh.", field="unit"
            )
        if len(unit) > 60:
            raise DomainError("The unit is at most 60 characters.", field="unit")
    reason = check_confidentiality(bool(data.confidential), data.confidential_reason)
    if reason is not None and len(reason) > 500:
        raise DomainError("The reason is at most 500 characters.", field="confidential_reason")
    clash = db.session.scalar(
        sa.select(DemandSeries).where(
            DemandSeries.contract_id == contract.id,
            sa.func.lower(DemandSeries.name) == name.lower(),
            DemandSeries.id != (series.id if series is not None else -1),
        )
    )
    if clash is not None:
        detail = " (by a deleted series, kept for its history)" if clash.is_deleted else ""
        raise DomainError(
            f"Contract {contract.reference} already has a series named “{clash.name}”{detail}: "
            "choose another name.",
            field="name",
        )
    return replace(
        data,
        contract_id=contract.id,
        metric=metric,
        name=name,
        unit=unit,
        currency=currency,
        description=(data.description or "").strip(),
        confidential=bool(data.confidential),
        confidential_reason=reason,
    )


def create_series(project, data: SeriesData) -> DemandSeries:
    """Add a demand or revenue series to one of ``project``'s contracts.

    :return: the new series, flushed.
    :raises DomainError: naming the first invalid field.
    """
    if project.is_deleted:
        raise DomainError("This project has been deleted.")
    data = _validate_series(project, data, None)
    series = DemandSeries(project_id=project.id, **vars(data))
    db.session.add(series)
    db.session.flush()
    logger.info("Demand series %s added to %s", series.id, project.code)
    return series


def update_series(series: DemandSeries, data: SeriesData) -> DemandSeries:
    """Change a series' details (its years are kept).

    :raises DomainError: for invalid input or a deleted series.
    """
    if series.is_deleted:
        raise DomainError("This series has been deleted.")
    data = _validate_series(series.contract.project, data, series)
    for key, value in vars(data).items():
        setattr(series, key, value)
    db.session.flush()
    logger.info("Demand series %s updated", series.id)
    return series


def delete_series(series: DemandSeries) -> None:
    """Soft-delete a series entered by mistake (it and its years stay for the history).

    :raises DomainError: when it is already deleted.
    """
    if series.is_deleted:
        raise DomainError("This series has already been deleted.")
    series.is_deleted, series.deleted_at = True, utcnow()
    db.session.flush()
    logger.info("Demand series %s deleted", series.id)


# --- years --------------------------------------------------------------------------------


def _year(value) -> int:
    if isinstance(value, bool) or value is None:
        raise DomainError("Give the year, e.g. 2025.", field="year")
    if isinstance(value, int):
        return value
    text = str(value).strip() if isinstance(value, str) else None
    if not text or not text.isdigit() or len(text) != 4:
        raise DomainError("Give the year as four digits, e.g. 2025.", field="year")
    return int(text)


def _figure(value, *, field: str, what: str, metric: Metric) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    places = REVENUE_PLACES if metric == Metric.REVENUE else DEMAND_PLACES
    return parse_decimal(
        value, field=field, what=what, places=places, minimum=0, maximum=MAX_FIGURE
    )


def _check_year(series: DemandSeries, row: YearData, this_year: int) -> YearData:
    """Return the cleaned row, or raise on its first invalid field."""
    year = _year(row.year)
    periods.check_year_within_contract(series.contract, year, field="year")
    forecast = _figure(row.forecast, field="forecast", what="forecast", metric=series.metric)
    actual = _figure(row.actual, field="actual", what="actual figure", metric=series.metric)
    if forecast is None and actual is None:
        raise DomainError(f"Give the forecast, the actual figure or both for {year}.")
    if actual is not None and year > this_year:
        raise DomainError(
            f"{year} has not started yet: record its actual figure once it has "
            "(a forecast is fine).",
            field="actual",
        )
    note = (row.note or "").strip()
    if len(note) > 2000:
        raise DomainError("The note is at most 2000 characters.", field="note")
    return YearData(year=year, forecast=forecast, actual=actual, note=note)


def check_years(series: DemandSeries, rows: list[YearData]) -> list[YearData]:
    """Check every row (each year once, within the contract …), changing nothing.

    :return: the cleaned rows.
    :raises YearsError: listing every problem by the row's position.
    """
    this_year = today().year
    problems: list[YearProblem] = []
    cleaned: list[YearData] = []
    seen: dict[int, int] = {}
    for index, row in enumerate(rows):
        try:
            clean = _check_year(series, row, this_year)
        except DomainError as error:
            year = row.year if isinstance(row.year, int) else None
            problems.append(YearProblem(index, year, error.field, error.message))
            continue
        if clean.year in seen:
            problems.append(
                YearProblem(
                    index,
                    clean.year,
                    "year",
                    f"{clean.year} is given twice (row {seen[clean.year] + 1} and this one): "
                    "keep one.",
                )
            )
            continue
        seen[clean.year] = index
        cleaned.append(clean)
    if problems:
        raise YearsError(problems)
    return cleaned


def set_years(series: DemandSeries, rows: list[YearData]) -> list[DemandValue]:
    """Record the forecast and actual of several years: all rows, or none.

    A year already recorded is updated; a new one is added. Years not given
    are left as they are. The series' version moves when anything changes,
    so a grid opened before is refused as stale.

    :return: the years written (new or changed), flushed.
    :raises YearsError: with every problem by row; nothing is written.
    :raises DomainError: when the series or its contract is deleted.
    """
    if series.is_deleted:
        raise DomainError("This series has been deleted.")
    if series.contract.is_deleted:
        raise DomainError("The contract of this series has been deleted.")
    cleaned = check_years(series, rows)
    existing = {
        value.year: value
        for value in db.session.scalars(
            sa.select(DemandValue).where(DemandValue.series_id == series.id)
        )
    }
    written = []
    for row in cleaned:
        value = existing.get(row.year)
        if value is None:
            value = DemandValue(
                series=series,
                project_id=series.project_id,
                year=row.year,
                forecast=row.forecast,
                actual=row.actual,
                note=row.note,
            )
            db.session.add(value)
            written.append(value)
        elif (value.forecast, value.actual, value.note) != (row.forecast, row.actual, row.note):
            value.forecast, value.actual, value.note = row.forecast, row.actual, row.note
            written.append(value)
    if written:
        series.version = series.version + 1
    db.session.flush()
    logger.info("Demand series %s: %s year(s) written", series.id, len(written))
    return written


def delete_year(value: DemandValue) -> None:
    """Remove a year recorded by mistake (the audit log keeps what it held)."""
    series = value.series
    db.session.delete(value)
    series.version = series.version + 1
    db.session.flush()
    logger.info("Demand series %s: year %s deleted", series.id, value.year)
