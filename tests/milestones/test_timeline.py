"""The milestone timeline: one reportlab drawing, as accessible inline SVG and as table rows."""

import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from reportlab.graphics.shapes import Drawing

from pptracker.extensions import db
from pptracker.milestones.models import Milestone, MilestoneStatus
from pptracker.milestones.timeline import TITLE, TimelineItem, build_drawing, timeline

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 5, 1)


def _milestone(id, title, baseline=None, forecast=None, actual=None, status="scheduled"):
    return SimpleNamespace(
        id=id,
        title=title,
        baseline_date=baseline,
        forecast_date=forecast,
        actual_date=actual,
        status=MilestoneStatus(status),
        is_deleted=False,
    )


@pytest.fixture
def sample():
    return [
        _milestone(3, "Completion", baseline=date(2027, 1, 1)),
        _milestone(
            1,
            "Financial close",
            baseline=date(2021, 3, 1),
            forecast=date(2021, 9, 1),
            actual=date(2021, 10, 1),
            status="met",
        ),
        _milestone(2, "Commencement", baseline=date(2022, 1, 1), forecast=date(2021, 12, 1)),
        _milestone(4, "Hand-back survey"),  # no date at all
        _milestone(5, "Overdue permit", baseline=date(2025, 1, 1), forecast=date(2025, 6, 1)),
    ]


def _parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, not untrusted input


def _lane_labels(root):
    """Return the texts of the lane labels (left column, x < label width)."""
    return [
        el.text
        for el in root.iter(f"{SVG}text")
        if float(el.get("x")) < 100 and float(el.get("y")) > 30 and el.text
    ]


def test_svg_is_valid_xml_and_accessible(sample):
    result = timeline(sample, today=TODAY)
    root = _parse(result.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title.text == TITLE
    assert root.get("aria-labelledby") == title.get("id")
    desc = root.find(f"{SVG}desc")
    assert root.get("aria-describedby") == desc.get("id")
    assert "4 milestones" in desc.text
    assert not str(result.svg).startswith("<?xml")
    assert "DOCTYPE" not in result.svg
    # The site's CSP forbids inline styles: none may be left, and no script either.
    assert "style=" not in result.svg
    assert "<script" not in result.svg


def test_one_lane_per_dated_milestone_in_date_order(sample):
    root = _parse(timeline(sample, today=TODAY).svg)
    labels = _lane_labels(root)
    assert labels[:4] == ["Financial close", "Commencement", "Overdue permit", "Completion"]
    assert "Hand-back survey" not in str(timeline(sample, today=TODAY).svg)


def test_rows_list_every_milestone_with_slippage_and_overdue(sample):
    rows = timeline(sample, today=TODAY).rows
    assert [r["title"] for r in rows] == [
        "Financial close",
        "Commencement",
        "Overdue permit",
        "Completion",
        "Hand-back survey",
    ]
    by_title = {r["title"]: r for r in rows}
    assert by_title["Financial close"]["slippage_days"] == 214  # actual counts over forecast
    assert by_title["Commencement"]["slippage_days"] == -31
    assert by_title["Completion"]["slippage_days"] is None
    assert by_title["Overdue permit"]["slippage_days"] == 151
    assert by_title["Overdue permit"]["overdue"] is True
    assert by_title["Financial close"]["overdue"] is False
    assert by_title["Hand-back survey"]["drawn"] is False
    assert by_title["Financial close"]["status"] == MilestoneStatus.MET
    assert set(rows[0]) >= {
        "title",
        "baseline",
        "forecast",
        "actual",
        "status",
        "slippage_days",
        "overdue",
    }


def test_late_bar_is_red_and_early_bar_green():
    svg = str(
        timeline(
            [
                _milestone(1, "Late", baseline=date(2024, 1, 1), forecast=date(2024, 6, 1)),
                _milestone(2, "Early", baseline=date(2024, 6, 1), forecast=date(2024, 1, 1)),
            ],
            today=TODAY,
        ).svg
    )
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if float(r.get("height")) == 6]
    fills = [b.get("fill") for b in bars]
    # Two lane bars, plus the two swatches of the legend.
    assert len(bars) == 4
    assert fills[0] == fills[2] != fills[1] == fills[3]


def test_titles_are_escaped():
    svg = timeline(
        [_milestone(1, '<script>alert("x")</script> & co', baseline=date(2024, 1, 1))],
        today=TODAY,
    ).svg
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)
    assert '<script>alert("x")</script> & co' in _lane_labels(root)


def test_long_titles_are_shortened_in_the_chart_not_in_the_rows():
    title = "Commencement of works on the northern section of the motorway " * 3
    result = timeline([_milestone(1, title, baseline=date(2024, 1, 1))], today=TODAY)
    (label,) = _lane_labels(_parse(result.svg))
    assert label.endswith("…") and len(label) < len(title)
    assert result.rows[0]["title"] == title


def test_output_is_deterministic(sample):
    first = timeline(sample, today=TODAY).svg
    second = timeline(list(reversed(sample)), today=TODAY).svg
    assert first == second


def test_no_milestones_gives_no_svg():
    result = timeline([], today=TODAY)
    assert result.svg == ""
    assert result.rows == []


def test_undated_milestones_are_listed_not_drawn():
    result = timeline([_milestone(1, "Someday")], today=TODAY)
    assert result.svg == ""
    assert [r["title"] for r in result.rows] == ["Someday"]
    assert result.drawn == 0


def test_a_single_date_draws_one_lane_spanning_a_year_or_more():
    result = timeline([_milestone(1, "Only forecast", forecast=date(2026, 8, 1))], today=TODAY)
    root = _parse(result.svg)
    assert _lane_labels(root) == ["Only forecast"]
    years = [el.text for el in root.iter(f"{SVG}text") if el.text and el.text.isdigit()]
    assert years == ["2026"]
    assert result.drawn == 1


def test_long_spans_get_fewer_year_labels():
    items = [
        TimelineItem("Concession start", date(2005, 3, 1), date(2005, 9, 1)),
        TimelineItem("Hand-back", date(2045, 1, 1), date(2046, 6, 1)),
    ]
    drawing = build_drawing(items, TODAY)
    labels = [
        s.text for s in drawing.contents if getattr(s, "text", "").isdigit() and len(s.text) == 4
    ]
    assert 4 <= len(labels) <= 12
    assert labels == sorted(labels)


def test_build_drawing_takes_plain_data_for_the_pdfs():
    drawing = build_drawing([TimelineItem("A", date(2024, 1, 1), date(2024, 3, 1))], TODAY)
    assert isinstance(drawing, Drawing)
    empty = build_drawing([], TODAY)
    assert [s.text for s in empty.contents] == ["No dated milestones yet."]


def test_ids_are_prefixed_so_two_charts_share_a_page(sample):
    first = timeline(sample, today=TODAY, id_prefix="a").svg
    second = timeline(sample, today=TODAY, id_prefix="b").svg
    ids_a = {el.get("id") for el in _parse(first).iter() if el.get("id")}
    ids_b = {el.get("id") for el in _parse(second).iter() if el.get("id")}
    assert ids_a and not ids_a & ids_b
    assert all(i.startswith("a-") for i in ids_a)


def test_timeline_of_stored_milestones(app, make_project, make_milestone):
    make_project("metro-line")
    make_milestone("metro-line", title="Later", baseline_date=date(2027, 1, 1))
    make_milestone(
        "metro-line",
        title="Sooner",
        baseline_date=date(2024, 1, 1),
        forecast_date=date(2024, 2, 1),
    )
    make_milestone("metro-line", title="Undated")
    with app.app_context():
        milestones = db.session.scalars(sa.select(Milestone)).all()
        result = timeline(milestones, today=TODAY)
    assert [r["title"] for r in result.rows] == ["Sooner", "Later", "Undated"]
    assert result.rows[0]["slippage_days"] == 31
    assert _lane_labels(_parse(result.svg)) == ["Sooner", "Later"]
