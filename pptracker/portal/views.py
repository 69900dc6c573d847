"""The public site's pages: the dashboard, the project list and the public project page.

Anyone may read them, signed in or not, and everyone sees the same public
view: published, live projects only, confidential records withheld with a
notice. Each page issues a fixed number of SQL statements whatever the size
of the data.
"""

import dataclasses
import re
from decimal import Decimal

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from pptracker import codelists
from pptracker.budgets.chart import budget_chart
from pptracker.charts import to_svg
from pptracker.database import today, utcnow
from pptracker.extensions import db
from pptracker.feedback import public as feedback_public
from pptracker.milestones import timeline as milestone_timeline
from pptracker.pagecache import cached_page, memo
from pptracker.permissions import Action, can, public
from pptracker.portal import queries
from pptracker.projects.disclosure_score import score, scores
from pptracker.projects.metrics import project_metrics
from pptracker.reports import project_data, version
from pptracker.reports.charts import Bar, bar_chart_svg

bp = Blueprint("portal", __name__, template_folder="templates")

#: The longest search text accepted.
MAX_SEARCH = 200
_PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")


class BadQuery(ValueError):
    """The project list was asked for something it cannot give; the message says why."""


# --- the dashboard ------------------------------------------------------------------------


def _count_chart(groups, *, title: str, table: str, id_prefix: str) -> Markup:
    bars = [Bar(g.label, g.projects) for g in groups]
    return bar_chart_svg(
        bars,
        title=title,
        desc=f"One bar per {table}, its length the number of published projects. "
        "The table that follows gives the same figures.",
        unit="projects",
        id_prefix=id_prefix,
    )


def _budget_charts(groups, currencies) -> list[tuple[str, Markup]]:
    """One chart per currency: the approved budgets of each sector in that currency."""
    charts = []
    for n, currency in enumerate(currencies, start=1):
        bars = [
            Bar(g.label, amount.amount, text=f"{amount.amount:,.0f}")
            for g in groups
            for amount in g.budgets
            if amount.currency == currency
        ]
        # One bar is no chart: the table above gives the figure.
        if len(bars) > 1:
            charts.append(
                (
                    currency,
                    bar_chart_svg(
                        sorted(bars, key=lambda b: -b.value),
                        title=f"Approved budget by sector, in {currency}",
                        desc=f"One bar per sector, its length the sum of the approved budgets "
                        f"of its published projects in {currency}. The table of projects and "
                        "budgets by sector gives the same figures.",
                        unit=currency,
                        id_prefix=f"budget-by-sector-{n}",
                    ),
                )
            )
    return charts


def _execution_chart(rows) -> Markup:
    bars = [
        Bar(e.currency, e.percent, text=f"{e.percent} %") for e in rows if e.percent is not None
    ]
    return bar_chart_svg(
        bars,
        title="Budget execution by currency",
        desc="One bar per currency, its length the amount paid as a share of the amount "
        "planned in the budget lines, in per cent. The table that follows gives the amounts.",
        unit="per cent of the planned budget paid",
        id_prefix="execution",
    )


@bp.route("/")
@public
@cached_page
def home():
    """Show the public dashboard: the published projects in figures, and the latest updates."""
    # The aggregates read every milestone and payment: computed once per data
    # version and day, for every reader (the page cache serves only the public).
    on = today()
    data = memo("dashboard", 4, (version.current().seq, on), lambda: queries.dashboard(on))
    return render_template(
        "portal/home.html",
        data=data,
        sector_chart=_count_chart(
            data.by_sector,
            title="Published projects by sector",
            table="sector",
            id_prefix="by-sector",
        ),
        status_chart=_count_chart(
            data.by_status,
            title="Published projects by status",
            table="status",
            id_prefix="by-status",
        ),
        budget_charts=_budget_charts(data.by_sector, [g.code for g in data.by_currency]),
        execution_chart=_execution_chart(data.execution),
    )


# --- the project list ---------------------------------------------------------------------


def _choice(args, name: str, choices, what: str) -> str:
    value = args.get(name, "").strip()
    if value and value not in choices:
        raise BadQuery(f"There is no {what} {value!r}. Choose one from the list.")
    return value


def _list_query(args, authorities: dict[int, str]) -> queries.ListQuery:
    """Check the list's query string; raise ``BadQuery`` saying what is wrong."""
    q = args.get("q", "").strip()
    if len(q) > MAX_SEARCH:
        raise BadQuery(f"The search text is too long: at most {MAX_SEARCH} characters.")
    authority_text = args.get("authority", "").strip()
    authority = None
    if authority_text:
        if not authority_text.isdigit() or int(authority_text) not in authorities:
            raise BadQuery(
                f"There is no public authority {authority_text!r} among the published projects. "
                "Choose one from the list."
            )
        authority = int(authority_text)
    sort = args.get("sort", "title").strip() or "title"
    if sort not in queries.SORTS:
        raise BadQuery(
            f"The list cannot be sorted by {sort!r}: sort by "
            + ", ".join(label.lower() for label, _column in queries.SORTS.values())
            + "."
        )
    direction = args.get("dir", "asc").strip() or "asc"
    if direction not in ("asc", "desc"):
        raise BadQuery(f"The order {direction!r} is unknown: use asc or desc.")
    return queries.ListQuery(
        q=q,
        sector=_choice(args, "sector", codelists.codelist("projectSector"), "sector"),
        status=_choice(args, "status", codelists.codelist("projectStatus"), "status"),
        ppp_model=_choice(args, "ppp_model", codelists.PPP_MODELS, "PPP model"),
        authority=authority,
        sort=sort,
        desc=direction == "desc",
    )


def _page_number(args) -> int:
    text = args.get("page", "1").strip() or "1"
    if not _PAGE_NUMBER.fullmatch(text):
        raise BadQuery(f"The page {text!r} is not a page number: use a whole number from 1.")
    return int(text)


def _list_page(**context):
    return render_template(
        "portal/projects.html",
        statuses=codelists.codelist("projectStatus"),
        sectors=codelists.codelist("projectSector"),
        ppp_models=codelists.PPP_MODELS,
        sorts={key: label for key, (label, _column) in queries.SORTS.items()},
        **context,
    )


@bp.route("/projects/")
@public
@cached_page
def projects():
    """List the published projects: search, filters, sorting and pages."""
    authorities = dict(queries.authorities())
    try:
        query = _list_query(request.args, authorities)
        number = _page_number(request.args)
    except BadQuery as error:
        return _list_page(
            query=queries.ListQuery(), authorities=authorities, error=str(error), page=None
        ), 400
    page = db.paginate(
        queries.project_list(query),
        page=number,
        per_page=current_app.config["PROJECTS_PER_PAGE"],
        error_out=False,
    )
    if number > max(page.pages, 1):
        return _list_page(
            query=query,
            authorities=authorities,
            error=f"There is no page {number}: the list has "
            f"{page.pages} page{'' if page.pages == 1 else 's'}.",
            page=None,
        ), 400
    items = list(page.items)
    return _list_page(
        query=query,
        authorities=authorities,
        error=None,
        page=page,
        metrics=project_metrics([p.id for p in items]),
        scores=scores(items),
    )


# --- the project page ---------------------------------------------------------------------


def _number(value) -> str:
    """Return a measured quantity as people read it: 9,800,000 or 2.5 (no trailing zeros)."""
    if value is None:
        return "–"
    text = format(Decimal(value), ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _timeline_svg(items, on) -> Markup:
    dated = [item for item in items if item.dated]
    if not dated:
        return Markup("")
    years = sorted(
        d.year for item in dated for d in (item.baseline, item.forecast, item.actual) if d
    )
    return to_svg(
        milestone_timeline.build_drawing(dated, on),
        title=milestone_timeline.TITLE,
        desc=f"{len(dated)} milestone{'' if len(dated) == 1 else 's'}, from {years[0]} to "
        f"{years[-1]}. Each lane shows the baseline date as a hollow diamond and the forecast "
        "(circle) or actual (filled diamond) date, joined by a bar: red when later than the "
        "baseline, green when earlier or on time. A dashed blue line marks today. The "
        "milestone table that follows gives the same dates.",
        id_prefix="milestone-timeline",
    )


@bp.route("/projects/<code>")
@public
@cached_page
def project(code: str):
    """Show a published project as the public sees it, whoever asks."""
    project = queries.public_project(code)
    if project is None:
        abort(404)
    # The report dates its judgements (overdue, tariffs in force, planned
    # value due) on the data version, so the PDF stays the same until the data
    # change; this page is read now, so it judges them on today's date.
    now = utcnow()
    at = dataclasses.replace(version.current(), at=now)
    data = project_data.assemble(project, at, base_url=current_app.config["PUBLIC_BASE_URL"])
    documents, documents_withheld = queries.public_documents(project.id)
    feedback = feedback_public.context(project, queries.milestone_choices(project.id))
    return render_template(
        "portal/project.html",
        project=project,
        data=data,
        today=now.date(),
        parties=queries.contract_parties(project.id),
        documents=documents,
        documents_withheld=documents_withheld,
        last_updated=queries.last_updated(project.id),
        score=score(project),
        timeline_svg=_timeline_svg(data.milestones.timeline, now.date()),
        budget_charts=budget_chart(list(data.budget.bars), currency=data.budget.currency),
        may_manage=can(current_user, Action.LIST_PROJECTS),
        number=_number,
        **feedback,
    )
