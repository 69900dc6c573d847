"""Pages for KPIs, their observations, performance failures and deductions.

Everyone who sees the project reads the KPIs and failures (the public only
the non-confidential ones, with a notice for the rest); its managers record
them, one observation at a time, a whole period at once, or from a CSV file.
"""

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from pptracker.contracts.queries import contracts_of
from pptracker.csvutil import csv_download
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.formatting import format_money, plain_number
from pptracker.forms import (
    EmptyForm,
    attach_error,
    check_button,
    csv_import_form,
    form_status,
    save,
    show_conflict,
)
from pptracker.operations import kpi_csv, kpi_queries, kpi_services, periods
from pptracker.operations.kpi_forms import (
    BASES,
    CATEGORIES,
    FREQUENCIES,
    SOURCES,
    FailureForm,
    KpiForm,
    LinkedFailureForm,
    ObservationForm,
    PeriodChoiceForm,
)
from pptracker.operations.models import Frequency, Kpi, KpiObservation, PerformanceFailure
from pptracker.operations.view_helpers import (
    csv_export,
    csv_import,
    delete_and_redirect,
    hide_confidential,
    or_404,
    page_context,
    plural,
    project_record_or_404,
    upload_form,
)
from pptracker.permissions import Action, permission_required
from pptracker.projects.loaders import editable_project_or_404, visible_project_or_404
from pptracker.services import check_version

bp = Blueprint("kpis", __name__, template_folder="templates")

MANAGE = "/manage/projects/<code>/operations"

#: Fields of the documents service's errors, as named on the observation form.
_EVIDENCE_FIELDS = {"file": "evidence", "title": "evidence_title", "document_type": "evidence_type"}

LABELS = {
    "categories": CATEGORIES,
    "frequencies": FREQUENCIES,
    "sources": SOURCES,
    "bases": BASES,
}


# --- reading ------------------------------------------------------------------------------


@bp.route("/projects/<code>/operations/kpis/")
@permission_required(Action.VIEW_PROJECT)
def index(code: str):
    """Show a project's KPIs by contract with their latest result, and the penalty totals."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    return render_template(
        "operations/kpi_index.html",
        kpis=kpi_queries.kpis_of(project.id, hide),
        totals=kpi_queries.failure_totals(project.id, hide_confidential=hide),
        labels=LABELS,
        **page_context(project),
    )


@bp.route("/projects/<code>/operations/kpis/<int:kpi_id>")
@permission_required(Action.VIEW_PROJECT)
def detail(code: str, kpi_id: int):
    """Show a KPI and every observation of it, with its failures and evidence."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    kpi = or_404(kpi_queries.get_kpi(project.id, kpi_id, hide_confidential=hide))
    return render_template(
        "operations/kpi_detail.html",
        kpi=kpi,
        observations=kpi_queries.observations_of(kpi.id, hide_confidential=hide),
        labels=LABELS,
        **page_context(project),
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/projects/<code>/operations/failures/")
@permission_required(Action.VIEW_PROJECT)
def failures(code: str):
    """List a project's performance failures and penalties, by year and contract."""
    project = visible_project_or_404(code)
    hide = hide_confidential(project)
    contract_id, year = _int_arg("contract"), _int_arg("year")
    rows = kpi_queries.failures_of(
        project.id, hide_confidential=hide, contract_id=contract_id, year=year
    )
    everything = kpi_queries.failure_totals(project.id, hide_confidential=hide)
    contracts = [c for c in contracts_of(project.id) if not (hide and c.confidential)]
    return render_template(
        "operations/kpi_failures.html",
        rows=rows,
        totals=kpi_queries.totals_of(rows, everything.withheld),
        years=[int(t.key) for t in everything.by_year],
        contracts=contracts,
        contract_id=contract_id,
        year=year,
        labels=LABELS,
        **page_context(project),
    )


# --- CSV ----------------------------------------------------------------------------------


@bp.route("/operations/kpi-observations-template.csv")
@permission_required(Action.VIEW_PROJECT)
def template():
    """Download the KPI observation import template: the header and one example row."""
    return csv_download(kpi_csv.template_csv(), "kpi-observations-template.csv")


@bp.route("/projects/<code>/operations/kpi-observations.csv")
@permission_required(Action.VIEW_PROJECT)
def export(code: str):
    """Download a project's KPI observations as CSV (the public ones, for the public)."""
    project = visible_project_or_404(code)
    rows = kpi_csv.export_rows(project.id, hide_confidential=hide_confidential(project))
    return csv_export(
        project,
        rows=rows,
        header=kpi_csv.EXPORT_COLUMNS,
        bom=kpi_csv.BOM,
        filename=f"{project.code}-kpi-observations.csv",
        event="kpi_observations.export",
        summary=f"Exported {plural(len(rows), 'KPI observation')} as CSV",
    )


@bp.route(f"{MANAGE}/kpis/import", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def import_(code: str):
    """Import KPI observations from a CSV file: every row, or none and the list of problems."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    actor = current_user._get_current_object()
    return csv_import(
        "operations/kpi_import.html",
        project=project,
        form=csv_import_form(
            "observations", max_rows=kpi_csv.MAX_ROWS, max_bytes=kpi_csv.MAX_BYTES
        ),
        max_bytes=kpi_csv.MAX_BYTES,
        run=lambda data: kpi_csv.import_observations(project, data, actor=actor),
        done=lambda result: (
            f"{plural(len(result.created), 'observation')} imported; {result.failed} failed."
        ),
        next_url=url_for("kpis.index", code=project.code),
        max_rows=kpi_csv.MAX_ROWS,
    )


# --- KPIs ---------------------------------------------------------------------------------


@bp.route(f"{MANAGE}/kpis/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new_kpi(code: str):
    """Add a KPI to one of the project's contracts."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = KpiForm(contracts=contracts_of(project.id))
    if form.validate_on_submit():
        saved, kpi = save(form, lambda: kpi_services.create_kpi(project, form.to_data()))
        if saved:
            flash(f"KPI {kpi.code} added.", "success")
            return redirect(url_for("kpis.detail", code=code, kpi_id=kpi.id))
    return render_template(
        "operations/kpi_form.html", form=form, project=project, kpi=None
    ), form_status(form)


@bp.route(f"{MANAGE}/kpis/<int:kpi_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit_kpi(code: str, kpi_id: int):
    """Edit a KPI (its recorded observations keep their result)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    kpi = project_record_or_404(Kpi, kpi_id, project)
    form = KpiForm(obj=kpi, contracts=contracts_of(project.id))
    if request.method == "GET":
        form.target.data = plain_number(kpi.target)
        if kpi.deduction_percent is not None:
            form.deduction_percent.data = plain_number(kpi.deduction_percent)
    if form.validate_on_submit():
        saved, _ = save(form, lambda: kpi_services.update_kpi(kpi, form.to_data()), record=kpi)
        if saved:
            flash(f"KPI {kpi.code} saved.", "success")
            return redirect(url_for("kpis.detail", code=code, kpi_id=kpi.id))
    return (
        render_template("operations/kpi_form.html", form=form, project=project, kpi=kpi),
        form_status(form),
    )


@bp.post(f"{MANAGE}/kpis/<int:kpi_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete_kpi(code: str, kpi_id: int):
    """Delete a KPI; its observations and failures stay on record."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    kpi = project_record_or_404(Kpi, kpi_id, project)
    return delete_and_redirect(
        lambda: kpi_services.delete_kpi(kpi),
        done=f"KPI {kpi.code} deleted. Its observations and failures are kept.",
        back=url_for("kpis.index", code=code),
    )


# --- observations -------------------------------------------------------------------------


def _attach(form, observation, kpi) -> None:
    if form.evidence.data and getattr(form.evidence.data, "filename", ""):
        kpi_services.attach_evidence(
            observation,
            form.evidence.data,
            form.evidence_data(kpi, periods.label(kpi.frequency, observation.period_start)),
            uploader=current_user,
        )


def _saved_message(observation, kpi, verb: str) -> str:
    label = periods.label(kpi.frequency, observation.period_start)
    if observation.met:
        return f"Observation of {kpi.code} for {label} {verb}: Met."
    failure = kpi_services.failure_of(observation)
    penalty = format_money(failure.penalty_contracted, failure.currency) if failure else "–"
    return f"Observation of {kpi.code} for {label} {verb}: Failed, deduction {penalty}."


def _attach_evidence_error(form, error) -> None:
    if error.field in _EVIDENCE_FIELDS:
        error.field = _EVIDENCE_FIELDS[error.field]
    attach_error(form, error)


@bp.route(f"{MANAGE}/kpis/<int:kpi_id>/observations/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new_observation(code: str, kpi_id: int):
    """Record a KPI's value for a period, with evidence if there is some."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    kpi = project_record_or_404(Kpi, kpi_id, project)
    form = upload_form(ObservationForm, kpi=kpi)
    if request.method == "GET" and request.args.get("period"):
        form.period.data = request.args["period"]
    if form.validate_on_submit():
        try:
            observation = kpi_services.record_observation(
                project, form.to_data(kpi.id), actor=current_user
            )
            _attach(form, observation, kpi)
        except DomainError as error:
            db.session.rollback()
            _attach_evidence_error(form, error)
        else:
            message = _saved_message(observation, kpi, "recorded")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("kpis.detail", code=code, kpi_id=kpi.id))
    return render_template(
        "operations/kpi_observation_form.html",
        form=form,
        project=project,
        kpi=kpi,
        observation=None,
        target=kpi_services.show_target(kpi),
    ), form_status(form)


@bp.route(f"{MANAGE}/observations/<int:observation_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit_observation(code: str, observation_id: int):
    """Correct an observation; its result and failure follow."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    observation = project_record_or_404(KpiObservation, observation_id, project)
    kpi = observation.kpi
    form = upload_form(
        ObservationForm, obj=observation if request.method == "GET" else None, kpi=kpi
    )
    if request.method == "GET":
        form.period.data = periods.label(kpi.frequency, observation.period_start)
        form.value.data = plain_number(observation.value)
        form.events.data = str(observation.events)
        form.source.data = observation.source.value
    status = None
    if form.validate_on_submit():
        try:
            check_version(observation, form.version.data)
            kpi_services.update_observation(observation, form.to_data(kpi.id), actor=current_user)
            _attach(form, observation, kpi)
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, observation, error)
            status = 409
        except DomainError as error:
            db.session.rollback()
            _attach_evidence_error(form, error)
        else:
            message = _saved_message(observation, kpi, "saved")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("kpis.detail", code=code, kpi_id=kpi.id))
    return (
        render_template(
            "operations/kpi_observation_form.html",
            form=form,
            project=project,
            kpi=kpi,
            observation=observation,
            target=kpi_services.show_target(kpi),
        ),
        status or form_status(form),
    )


@bp.post(f"{MANAGE}/observations/<int:observation_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete_observation(code: str, observation_id: int):
    """Delete an observation entered by mistake, and the failure it created."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    observation = project_record_or_404(KpiObservation, observation_id, project)
    return delete_and_redirect(
        lambda: kpi_services.delete_observation(observation),
        done="Observation deleted. The audit log keeps it.",
        back=url_for("kpis.detail", code=code, kpi_id=observation.kpi_id),
    )


# --- a whole period at once ---------------------------------------------------------------


def _period_kpis(project, contract_id, frequency) -> list[Kpi]:
    return db.session.scalars(
        sa.select(Kpi)
        .where(
            Kpi.project_id == project.id,
            Kpi.contract_id == contract_id,
            Kpi.frequency == frequency,
            Kpi.is_deleted.is_(False),
        )
        .order_by(Kpi.code, Kpi.id)
    ).all()


def _observed(kpis, start) -> dict[int, KpiObservation]:
    if not kpis:
        return {}
    return {
        o.kpi_id: o
        for o in db.session.scalars(
            sa.select(KpiObservation).where(
                KpiObservation.kpi_id.in_([k.id for k in kpis]),
                KpiObservation.period_start == start,
            )
        )
    }


@bp.route(f"{MANAGE}/kpis/record", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def record_period(code: str):
    """Record a period's values of a contract's KPIs on one page: all rows, or none."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    contracts = contracts_of(project.id)
    choice = PeriodChoiceForm(request.args, contracts=contracts)
    context = {"project": project, "choice": choice, "button_form": EmptyForm()}
    if not request.args:
        # A POST without the contract and period chosen is incomplete, not a step.
        status = 400 if request.method == "POST" else 200
        return render_template("operations/kpi_record.html", step=1, **context), status
    if not choice.validate():
        return render_template("operations/kpi_record.html", step=1, **context), 400
    contract = next(c for c in contracts if c.id == choice.contract_id.data)
    frequency = Frequency(choice.frequency.data)
    try:
        start, _end = periods.parse(frequency, choice.period.data, field="period")
        periods.check_within_contract(contract, start, _end, field="period")
    except DomainError as error:
        attach_error(choice, error)
        return render_template("operations/kpi_record.html", step=1, **context), 400
    label = periods.label(frequency, start)
    kpis = _period_kpis(project, contract.id, frequency)
    observed = _observed(kpis, start)
    open_kpis = [k for k in kpis if k.id not in observed]
    values: dict[int, dict] = {}
    row_errors: dict = {}
    status = 200
    if request.method == "POST":
        check_button()
        rows = []
        for kpi in open_kpis:
            entered = {
                name: (request.form.get(f"{name}-{kpi.id}") or "").strip()
                for name in ("value", "events", "note")
            }
            values[kpi.id] = entered
            if not any(entered.values()):
                continue  # a blank row: nothing to record for this KPI
            rows.append(
                kpi_services.ObservationData(
                    kpi_id=kpi.id,
                    period=label,
                    value=entered["value"],
                    events=entered["events"] or None,
                    note=entered["note"],
                )
            )
        try:
            written = kpi_services.record_period(
                project, contract, frequency, label, rows, actor=current_user
            )
        except kpi_services.PeriodErrors as error:
            db.session.rollback()
            row_errors = error.errors
            status = 400
        except DomainError as error:
            db.session.rollback()
            row_errors = {None: error.message}
            status = 400
        else:
            failed = [o for o in written if not o.met]
            total = kpi_services.deductions_of(failed)
            message = f"{plural(len(written), 'observation')} recorded for {label}"
            if failed:
                message += (
                    f"; {len(failed)} failed: deduction {format_money(total, contract.currency)}"
                )
            else:
                message += "; all met their target"
            db.session.commit()
            flash(message + ".", "success")
            return redirect(url_for("kpis.index", code=code))
    return render_template(
        "operations/kpi_record.html",
        step=2,
        contract=contract,
        frequency=frequency,
        label=label,
        kpis=kpis,
        observed=observed,
        values=values,
        row_errors=row_errors,
        show_target=kpi_services.show_target,
        show_value=kpi_services.show_value,
        **context,
    ), status


# --- failures -----------------------------------------------------------------------------


@bp.route(f"{MANAGE}/failures/new", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def new_failure(code: str):
    """Record a performance failure found outside the KPI observations."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    form = FailureForm(contracts=contracts_of(project.id))
    if request.method == "GET":
        form.penalty_paid.data = Decimal("0.00")
    if form.validate_on_submit():
        saved, _ = save(form, lambda: kpi_services.record_failure(project, form.to_data()))
        if saved:
            flash("Performance failure recorded.", "success")
            return redirect(url_for("kpis.failures", code=code))
    return render_template(
        "operations/kpi_failure_form.html", form=form, project=project, failure=None, linked=False
    ), form_status(form)


@bp.route(f"{MANAGE}/failures/<int:failure_id>/edit", methods=["GET", "POST"])
@permission_required(Action.EDIT_OPERATIONS)
def edit_failure(code: str, failure_id: int):
    """Correct a failure (for one from an observation: what was imposed and paid)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    failure = project_record_or_404(PerformanceFailure, failure_id, project)
    linked = failure.observation_id is not None
    if linked:
        form = LinkedFailureForm(obj=failure)
    else:
        form = FailureForm(obj=failure, contracts=contracts_of(project.id))
        if request.method == "GET":
            form.events.data = str(failure.events)
    if form.validate_on_submit():
        saved, _ = save(
            form,
            lambda: kpi_services.update_failure(
                failure, form.to_data(failure) if linked else form.to_data()
            ),
            record=failure,
        )
        if saved:
            flash("Performance failure saved.", "success")
            return redirect(url_for("kpis.failures", code=code))
    return (
        render_template(
            "operations/kpi_failure_form.html",
            form=form,
            project=project,
            failure=failure,
            linked=linked,
            labels=LABELS,
        ),
        form_status(form),
    )


@bp.post(f"{MANAGE}/failures/<int:failure_id>/delete")
@permission_required(Action.EDIT_OPERATIONS)
def delete_failure(code: str, failure_id: int):
    """Delete a failure recorded by mistake (not one created from an observation)."""
    project = editable_project_or_404(code, Action.EDIT_OPERATIONS)
    failure = project_record_or_404(PerformanceFailure, failure_id, project)
    return delete_and_redirect(
        lambda: kpi_services.delete_failure(failure),
        done="Performance failure deleted. Its history is kept.",
        back=url_for("kpis.failures", code=code),
    )
