"""The operations overview of a project: performance, payments, tariffs, demand at a glance."""

from flask import Blueprint, render_template
from flask_login import current_user

from pptracker.database import today
from pptracker.operations import demand_queries, kpi_queries, payment_queries, tariff_queries
from pptracker.operations.view_helpers import hide_confidential
from pptracker.permissions import Action, can, permission_required
from pptracker.projects.loaders import visible_project_or_404

bp = Blueprint("operations", __name__, template_folder="templates")


@bp.route("/projects/<code>/operations/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Summarise the project's operations, each section linking to its page."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    on = today()
    kpis = kpi_queries.kpis_of(project.id, hide)
    payments = payment_queries.overview(project.id, hide_confidential=hide, today=on)
    tariffs = tariff_queries.tariff_table(project.id, on=on, hide_confidential=hide)
    demand = demand_queries.demand_overview(project.id, hide_confidential=hide)
    latest = [k for group in kpis.contracts for k in group.kpis if k.latest_met is not None]
    return render_template(
        "operations/index.html",
        project=project,
        today=on,
        kpis=kpis,
        kpi_count=sum(len(group.kpis) for group in kpis.contracts),
        latest_met=sum(1 for k in latest if k.latest_met),
        latest_failed=sum(1 for k in latest if not k.latest_met),
        failures=kpi_queries.failure_totals(project.id, hide_confidential=hide),
        payments=payments,
        this_year=[y for y in payments.years if y.year == on.year],
        remaining=_remaining_by_currency(payments.years),
        tariffs=tariffs,
        demand=demand,
        redacted=[*kpis.withheld, *payments.redacted, *tariffs.redacted, *demand.redacted],
        can_edit=can(current_user, Action.EDIT_OPERATIONS, project),
    )


def _remaining_by_currency(years) -> dict:
    """Sum the remaining commitment (net due not yet paid) over all years, per currency."""
    remaining: dict = {}
    for year in years:
        remaining[year.currency] = remaining.get(year.currency, 0) + year.remaining
    return remaining
