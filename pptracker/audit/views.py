"""The auditor's pages: the log, exports, chain status and findings."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from pptracker import csvutil
from pptracker.audit import queries, services
from pptracker.audit.forms import AnswerForm, AuditFilterForm, CloseForm, FindingForm
from pptracker.audit.models import AuditEvent, FindingStatus
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, check_button
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects.queries import get_project
from pptracker.services import check_version

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

EXPORT_FIELDS = [
    "seq",
    "occurred_at",
    "actor",
    "actor_id",
    "client_ip",
    "action",
    "entity_type",
    "entity_id",
    "project_id",
    "summary",
    "changes",
    "reason",
    "prev_hash",
    "hash",
]


def _filters() -> tuple[AuditFilterForm, queries.AuditFilters]:
    form = AuditFilterForm(request.args, entity_types=queries.entity_types())
    if not form.validate():
        return form, queries.AuditFilters()
    filters = queries.AuditFilters(
        project=(form.project.data or "").strip(),
        entity_type=form.entity_type.data or "",
        actor=(form.actor.data or "").strip(),
        action=(form.action.data or "").strip(),
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        q=(form.q.data or "").strip(),
    )
    return form, filters


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/")
@permission_required(Action.VIEW_AUDIT_LOG)
def index():
    """Show the audit log, filtered, newest first."""
    form, filters = _filters()
    page = queries.event_page(
        queries.filtered_events(filters), before=_int_arg("before"), after=_int_arg("after")
    )
    args = {k: v for k, v in request.args.items() if k not in ("before", "after") and v}
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        args=args,
        head=queries.chain_head(),
        filtered=filters.active(),
    )


@bp.route("/events/<int:seq>")
@permission_required(Action.VIEW_AUDIT_LOG)
def event(seq: int):
    """Show one event in full, with its hashes."""
    found = db.session.scalar(db.select(AuditEvent).where(AuditEvent.seq == seq))
    if found is None:
        abort(404)
    return render_template("audit/event.html", event=found)


@bp.route("/export.<any(csv, json):fmt>")
@permission_required(Action.EXPORT_AUDIT_LOG)
def export(fmt: str):
    """Download the filtered events, oldest first, streamed in constant memory."""
    form, filters = _filters()
    if form.errors:
        abort(
            400,
            "The filters are not valid: "
            + "; ".join(
                f"{form[name].label.text}: {' '.join(msgs)}" for name, msgs in form.errors.items()
            ),
        )
    services.record(
        "audit.export",
        summary=f"Exported the audit log as {fmt.upper()}",
        changes={"filters": {k: v for k, v in vars(filters).items() if v}},
    )
    db.session.commit()
    stmt = (
        queries.filtered_events(filters)
        .order_by(None)
        .order_by(AuditEvent.seq.asc())
        .with_only_columns(*(AuditEvent.__table__.c[name] for name in EXPORT_FIELDS))
    )

    def rows():
        # Its own connection: the request's session may be closed before the
        # client has read the whole download.
        with db.engine.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(stmt):
                values = row._asdict()
                values["occurred_at"] = values["occurred_at"].isoformat()
                yield values

    if fmt == "csv":
        # The changes column is already JSON text.
        body = csvutil.stream_csv(EXPORT_FIELDS, (values.values() for values in rows()))
        mimetype = "text/csv; charset=utf-8"
    else:
        body = _stream_json(
            {**values, "changes": json.loads(values["changes"])} for values in rows()
        )

        mimetype = "application/json"

    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=pptracker-audit-log.{fmt}"},
    )


def _stream_json(items):
    yield '{"events": ['
    for i, item in enumerate(items):
        yield ("," if i else "") + json.dumps(item, ensure_ascii=False)
    yield "]}"


@bp.route("/chain")
@permission_required(Action.VIEW_AUDIT_LOG)
def chain():
    """Show the chain's size, head and last verification."""
    return render_template(
        "audit/chain.html",
        head=queries.chain_head(),
        last=queries.last_verification(),
        form=EmptyForm(),
    )


@bp.post("/chain/verify")
@permission_required(Action.VERIFY_AUDIT)
def verify_now():
    """Verify the whole chain now and record the verdict."""
    check_button()
    result = services.run_verification()
    db.session.commit()
    flash(f"Verification: {result.line()}", "success" if result.ok else "danger")
    return redirect(url_for("audit.chain"))


@bp.route("/findings/")
@permission_required(Action.VIEW_FINDINGS)
def findings():
    """List findings: every one for auditors and admins, their projects' for managers."""
    filters = queries.FindingFilters(
        status=request.args.get("status", ""),
        severity=request.args.get("severity", ""),
        project=request.args.get("project", "").strip(),
    )
    own = None
    if not can(current_user, Action.VIEW_UNPUBLISHED):  # a manager
        own = [p.id for p in _managed_projects()]
    page = db.paginate(queries.finding_list(filters, project_ids=own), per_page=50, error_out=False)
    return render_template(
        "audit/findings.html", page=page, filters=filters, statuses=[s.value for s in FindingStatus]
    )


def _managed_projects():
    from pptracker.projects.models import Project, project_managers

    return db.session.scalars(
        db.select(Project)
        .join(project_managers)
        .where(project_managers.c.user_id == current_user.id)
    ).all()


@bp.route("/findings/new", methods=["GET", "POST"])
@permission_required(Action.RAISE_FINDING)
def new_finding():
    """Raise a finding on a project or one of its records."""
    project = get_project(request.args.get("project", ""))
    if project is None:
        abort(404)
    form = FindingForm(
        entity_type=request.args.get("entity_type", "Project"),
        entity_id=request.args.get("entity_id", project.id),
    )
    if form.validate_on_submit():
        try:
            entity_id = int(form.entity_id.data) if form.entity_id.data else None
            finding = services.raise_finding(
                project,
                form.to_data(),
                auditor=current_user,
                entity_type=form.entity_type.data or "Project",
                entity_id=entity_id,
            )
        except ValueError:
            db.session.rollback()
            form.form_errors.append("The record this finding is about is not valid.")
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash("Finding raised. The project's managers can now answer it.", "success")
            return redirect(url_for("audit.finding", finding_id=finding.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("audit/finding_form.html", form=form, project=project), status


def _load_finding(finding_id: int):
    finding = queries.get_finding(finding_id)
    if finding is None:
        abort(404)
    require(Action.VIEW_FINDINGS, finding, hide=True)
    return finding


@bp.route("/findings/<int:finding_id>")
@permission_required(Action.VIEW_FINDINGS)
def finding(finding_id: int):
    """Show a finding, its answer, and what can be done next."""
    found = _load_finding(finding_id)
    history = db.session.scalars(
        queries.filtered_events(queries.AuditFilters(entity_type="Finding", entity_id=found.id))
    ).all()
    return render_template(
        "audit/finding.html",
        finding=found,
        history=history,
        answer_form=AnswerForm(obj=found),
        close_form=CloseForm(obj=found),
    )


@bp.post("/findings/<int:finding_id>/answer")
@permission_required(Action.ANSWER_FINDING)
def answer(finding_id: int):
    """Answer a finding (the project's managers, or an admin)."""
    found = _load_finding(finding_id)
    require(Action.ANSWER_FINDING, found)
    return _act(
        found,
        AnswerForm(),
        lambda form: services.answer_finding(found, form.response.data, manager=current_user),
        "Answer saved.",
    )


@bp.post("/findings/<int:finding_id>/close")
@permission_required(Action.CLOSE_FINDING)
def close(finding_id: int):
    """Close a finding (auditors)."""
    found = _load_finding(finding_id)
    return _act(
        found,
        CloseForm(),
        lambda form: services.close_finding(found, form.note.data, auditor=current_user),
        "Finding closed.",
    )


@bp.post("/findings/<int:finding_id>/reopen")
@permission_required(Action.CLOSE_FINDING)
def reopen(finding_id: int):
    """Reopen a closed finding (auditors)."""
    found = _load_finding(finding_id)
    return _act(
        found,
        CloseForm(),
        lambda form: services.reopen_finding(found, form.note.data, auditor=current_user),
        "Finding reopened.",
    )


def _act(found, form, action, done: str):
    if form.validate_on_submit():
        try:
            check_version(found, form.version.data)
            action(form)
        except ConflictError:
            db.session.rollback()
            flash(
                "Someone else changed this finding meanwhile; nothing was saved. "
                "Read the update below and try again.",
                "danger",
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(done, "success")
    else:
        flash(
            "; ".join(
                f"{form[name].label.text}: {' '.join(msgs)}" for name, msgs in form.errors.items()
            )
            or "The form was not valid.",
            "danger",
        )
    return redirect(url_for("audit.finding", finding_id=found.id))
