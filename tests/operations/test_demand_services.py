"""Demand and revenue rules: series, years all-or-nothing, variance and the chart."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.database import today
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.operations import demand_chart, demand_queries
from pptracker.operations.demand_services import (
    SeriesData,
    YearData,
    YearsError,
    create_series,
    delete_series,
    delete_year,
    set_years,
    update_series,
)
from pptracker.operations.models import DemandSeries, DemandValue, Metric
from pptracker.projects.queries import get_project


@pytest.fixture
def contract(make_project, make_contract):
    make_project("water-1", published=True)
    return make_contract("water-1")


def _values(app):
    with app.app_context():
        return db.session.execute(
            sa.select(DemandValue.year, DemandValue.forecast, DemandValue.actual).order_by(
                DemandValue.year
            )
        ).all()


def test_create_a_demand_and_a_revenue_series(app, contract):
    with app.app_context():
        project = get_project("water-1")
        demand = create_series(
            project, SeriesData(contract.id, Metric.DEMAND, " Water sold ", "m³")
        )
        revenue = create_series(
            project, SeriesData(contract.id, Metric.REVENUE, "Revenue", "ignored", "usd")
        )
        db.session.commit()
        assert demand.name == "Water sold" and demand.currency is None
        assert revenue.unit == "USD" and revenue.currency == "USD"
        types = db.session.scalars(sa.select(AuditEvent.entity_type)).all()
    assert types.count("DemandSeries") == 2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": ""}, "name", "name"),
        ({"unit": ""}, "unit", "unit"),
        ({"metric": Metric.REVENUE, "currency": None}, "currency", "currency"),
        ({"metric": Metric.REVENUE, "currency": "ABC"}, "currency", "ISO 4217"),
        ({"confidential": True}, "confidential_reason", "why"),
        ({"contract_id": 4242}, "contract_id", "contracts"),
        ({"name": "traffic"}, "name", "already has a series"),
    ],
)
def test_invalid_series_are_refused(app, contract, make_demand_series, data, field, words):
    make_demand_series(contract, name="Traffic")
    values = dict(contract_id=contract.id, metric=Metric.DEMAND, name="Water", unit="m³")
    values.update(data)
    with app.app_context():
        with pytest.raises(DomainError) as error:
            create_series(get_project("water-1"), SeriesData(**values))
    assert error.value.field == field
    assert words in error.value.message


def test_set_years_upserts_and_moves_the_series_version(app, contract, make_demand_series):
    series_id = make_demand_series(contract, years={2021: ("100", "90")})
    with app.app_context():
        series = db.session.get(DemandSeries, series_id)
        written = set_years(
            series,
            [
                YearData(2021, "100", "95.5", "Corrected count"),
                YearData(2022, Decimal("110"), None),
                YearData("2030", "150", None),
            ],
        )
        db.session.commit()
        assert len(written) == 3 and series.version == 2
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity_type == "DemandValue")
        ).all()
    assert sorted(events) == ["create", "create", "create", "update"]
    assert _values(app) == [
        (2021, Decimal("100"), Decimal("95.5")),
        (2022, Decimal("110"), None),
        (2030, Decimal("150"), None),
    ]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (YearData(2019, "1", None), "year", "outside the period of contract C-1"),
        (YearData(2041, "1", None), "year", "outside the period"),
        (YearData("20x4", "1", None), "year", "four digits"),
        (YearData(2022, "-5", None), "forecast", "cannot be negative"),
        (YearData(2022, None, "many"), "actual", "wrong type"),
        (YearData(2022, 1.5, None), "forecast", "wrong type"),
        (YearData(2022, "1.12345", None), "forecast", "4 decimals"),
        (YearData(2022, None, None), None, "forecast, the actual figure or both"),
        (YearData(today().year + 1, "1", "1"), "actual", "has not started yet"),
    ],
)
def test_bad_years_are_refused_per_row_and_nothing_is_written(
    app, contract, make_demand_series, row, field, words
):
    series_id = make_demand_series(contract)
    with app.app_context():
        series = db.session.get(DemandSeries, series_id)
        with pytest.raises(YearsError) as error:
            set_years(series, [YearData(2021, "100", "90"), row])
        db.session.rollback()
    [problem] = error.value.problems
    assert problem.index == 1 and problem.field == field
    assert words in problem.message
    assert "nothing was saved" in error.value.message
    assert _values(app) == []


def test_revenue_has_at_most_two_decimals(app, contract, make_demand_series):
    series_id = make_demand_series(contract, metric=Metric.REVENUE, name="Revenue", unit="EUR")
    with app.app_context():
        series = db.session.get(DemandSeries, series_id)
        with pytest.raises(YearsError) as error:
            set_years(series, [YearData(2022, "1000.125", None)])
        db.session.rollback()
        set_years(series, [YearData(2022, "1000.12", "990")])
        db.session.commit()
    assert "2 decimals" in error.value.problems[0].message
    assert _values(app) == [(2022, Decimal("1000.12"), Decimal("990"))]


def test_a_year_given_twice_is_refused(app, contract, make_demand_series):
    series_id = make_demand_series(contract)
    with app.app_context():
        with pytest.raises(YearsError) as error:
            set_years(
                db.session.get(DemandSeries, series_id),
                [YearData(2022, "1", None), YearData(2022, "2", None)],
            )
    assert "given twice" in error.value.problems[0].message


def test_delete_year_is_hard_and_audited_and_series_delete_is_soft(
    app, contract, make_demand_series
):
    series_id = make_demand_series(contract, years={2021: ("1", "2"), 2022: ("3", None)})
    with app.app_context():
        value = db.session.scalar(sa.select(DemandValue).where(DemandValue.year == 2021))
        delete_year(value)
        db.session.commit()
        assert db.session.scalar(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "DemandValue", AuditEvent.action == "delete"
            )
        )
        series = db.session.get(DemandSeries, series_id)
        update_series(series, SeriesData(contract.id, Metric.DEMAND, "Traffic 2", "trips"))
        delete_series(series)
        db.session.commit()
        assert series.is_deleted
        overview = demand_queries.demand_overview(contract.project_id, hide_confidential=False)
    assert overview.series == []
    assert [v.year for v in _values(app)] == [2022]


def test_overview_gives_variance_and_totals_over_years_with_both(app, contract, make_demand_series):
    make_demand_series(
        contract,
        years={2021: ("100", "90"), 2022: ("200", "230"), 2023: ("0", "5"), 2030: ("300", None)},
    )
    with app.app_context():
        [series] = demand_queries.demand_overview(
            contract.project_id, hide_confidential=False
        ).series
    rows = {r.year: r for r in series.rows}
    assert rows[2021].variance == Decimal("-10") and rows[2021].variance_percent == Decimal("-10.0")
    assert rows[2022].variance_percent == Decimal("15.0")
    assert rows[2023].variance == Decimal("5") and rows[2023].variance_percent is None
    assert rows[2030].variance is None and rows[2030].variance_percent is None
    assert series.forecast_total == Decimal("300") and series.actual_total == Decimal("325")
    assert series.variance_total == Decimal("25")
    assert series.variance_total_percent == Decimal("8.3")


def test_the_public_overview_withholds_confidential_series(
    app, contract, make_demand_series, make_contract
):
    make_demand_series(contract, name="Traffic")
    make_demand_series(contract, name="Secret", confidential=True, confidential_reason="Lenders")
    hidden = make_contract("water-1", reference="C-2")
    make_demand_series(hidden, name="Hidden")
    with app.app_context():
        from pptracker.contracts.models import Contract

        row = db.session.get(Contract, hidden.id)
        row.is_deleted = True
        db.session.commit()
        public = demand_queries.demand_overview(contract.project_id, hide_confidential=True)
    assert [s.name for s in public.series] == ["Traffic"]
    assert sorted(r.reason for r in public.redacted) == ["Lenders", "its contract was withdrawn"]


def test_the_chart_is_a_pure_drawing_and_accessible_svg():
    years = [
        demand_chart.ChartYear(2021, Decimal("100"), Decimal("90")),
        demand_chart.ChartYear(2022, Decimal("120"), None),
    ]
    drawing = demand_chart.build_drawing(years, unit="trips")
    assert drawing.width == demand_chart.WIDTH
    again = demand_chart.build_drawing(years, unit="trips")
    from reportlab.graphics import renderSVG

    assert renderSVG.drawToString(drawing) == renderSVG.drawToString(again)
    chart = demand_chart.demand_chart("Traffic", "trips", years, id_prefix="c1")
    svg = str(chart.svg)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="c1-title">Traffic: forecast against actual</title>' in svg
    assert "<desc" in svg and " style=" not in svg
    assert str(demand_chart.demand_chart("Empty", "trips", []).svg) == ""
