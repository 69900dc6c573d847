"""Sending feedback (public), moderating it (admins) and replying (managers)."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from pptracker.database import today, utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.feedback import queries, services
from pptracker.feedback.forms import FeedbackForm, HideForm, PublishForm, ReplyForm
from pptracker.feedback.models import CATEGORY_TITLES, FeedbackStatus
from pptracker.forms import attach_error, form_status, save
from pptracker.milestones.queries import milestones_of
from pptracker.permissions import Action, can, permission_required, require
from pptracker.projects.queries import get_project

bp = Blueprint("feedback", __name__, template_folder="templates")

PER_PAGE = 50


# --- the public ---------------------------------------------------------------------------


def _public_project_or_404(code: str):
    # Feedback is taken only where the public can read it: a published, live
    # project. Staff who can see an unpublished one get 404 here too.
    project = get_project(code)
    if project is None or not project.published:
        abort(404)
    return project


def _client() -> str:
    return services.client_hash(request.remote_addr, secret=current_app.config["SECRET_KEY"])


@bp.route("/projects/<code>/feedback", methods=["GET", "POST"])
@permission_required(Action.SEND_FEEDBACK)
def submit(code: str):
    """Send feedback on a project or one of its milestones; a moderator reads it first."""
    project = _public_project_or_404(code)
    milestones = milestones_of(project.id)
    form = FeedbackForm(milestones=milestones)
    limited = None
    if form.is_submitted():
        if form.bot_filled_honeypot():
            abort(
                400,
                "The form came back with a field filled in that people leave empty, so it "
                "looks automated. Nothing was saved. If you are a person, go back, reload "
                "the page and send your message again.",
            )
        client = _client()
        try:
            # Checked before the fields: no point fixing a message that cannot be sent yet.
            services.check_rate_limit(client)
            if form.validate():
                services.submit_feedback(
                    project, form.to_data(), client=client, milestones=milestones
                )
                db.session.commit()
                flash(
                    "Thank you: your message was received. A moderator reads it before it "
                    "appears on the project page.",
                    "success",
                )
                return redirect(url_for("feedback.submit", code=code), 303)
        except services.RateLimited as error:
            db.session.rollback()
            limited = error
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
    return _submit_page(project, form, limited)


def _submit_page(project, form, limited):
    status = form_status(form)
    headers = {}
    if limited is not None:
        status = 429
        wait = max(1, int((limited.retry_at - utcnow()).total_seconds()))
        headers["Retry-After"] = str(wait)
    body = render_template(
        "feedback/submit.html",
        project=project,
        form=form,
        limited=limited,
        wait_minutes=(int(headers["Retry-After"]) + 59) // 60 if limited else None,
        project_url=project_page_url(project),
    )
    return body, status, headers


def project_page_url(project) -> str:
    """Return the public project page, where published feedback is shown."""
    return url_for("portal.project", code=project.code)


# --- staff --------------------------------------------------------------------------------


def _filters() -> queries.FeedbackFilters:
    overdue = request.args.get("overdue") == "1"
    status = request.args.get("status") or ("all" if overdue else "pending")
    if status not in queries.STATUS_FILTERS:
        status = "pending"
    return queries.FeedbackFilters(
        status=status, project=request.args.get("project", "").strip()[:60], overdue=overdue
    )


@bp.route("/manage/feedback/")
@permission_required(Action.VIEW_FEEDBACK)
def index():
    """The feedback queue: waiting for moderation by default; managers see their projects'."""
    filters = _filters()
    day = today()
    page = db.paginate(
        queries.feedback_list(current_user, filters, today=day),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "feedback/index.html",
        page=page,
        filters=filters,
        statuses=queries.STATUS_FILTERS,
        overdue={f.id: queries.overdue_since(f, today=day) for f in page.items},
        reply_days=queries.reply_days(),
        titles=CATEGORY_TITLES,
        awaiting=queries.awaiting_reply_count(current_user, today=day),
    )


def _load(feedback_id: int):
    feedback = queries.get_feedback(feedback_id)
    if feedback is None or not queries.may_read(current_user, feedback):
        abort(404)
    return feedback


def _detail_page(feedback, *, publish_form=None, hide_form=None, reply_form=None, status=200):
    day = today()
    return render_template(
        "feedback/detail.html",
        feedback=feedback,
        titles=CATEGORY_TITLES,
        overdue_since=queries.overdue_since(feedback, today=day),
        reply_days=queries.reply_days(),
        shows_email=can(current_user, Action.MODERATE_FEEDBACK)
        or can(current_user, Action.REPLY_FEEDBACK, feedback),
        publish_form=publish_form or PublishForm(formdata=None, obj=feedback),
        hide_form=hide_form or HideForm(formdata=None, obj=feedback),
        reply_form=reply_form or ReplyForm(formdata=None),
        Status=FeedbackStatus,
        project_url=project_page_url(feedback.project),
    ), status


@bp.route("/manage/feedback/<int:feedback_id>")
@permission_required(Action.VIEW_FEEDBACK)
def detail(feedback_id: int):
    """One message: what was said, by whom, its moderation and replies, and what to do next."""
    return _detail_page(_load(feedback_id))


def _act(feedback, form, work, done: str, *, field: str, versioned: bool):
    if form.validate_on_submit():
        saved, _ = save(form, work, record=feedback if versioned else None)
        if saved:
            flash(done, "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback.id))
        # A refusal rolled back: read the feedback again for the page.
        feedback = _load(feedback.id)
    return _detail_page(feedback, **{field: form}, status=form_status(form))


@bp.post("/manage/feedback/<int:feedback_id>/publish")
@permission_required(Action.MODERATE_FEEDBACK)
def publish(feedback_id: int):
    """Publish feedback on the project page (again, if it was hidden)."""
    feedback = _load(feedback_id)
    actor = current_user._get_current_object()
    return _act(
        feedback,
        PublishForm(obj=feedback),
        lambda: services.publish_feedback(feedback, actor=actor),
        "Feedback published on the project page.",
        field="publish_form",
        versioned=True,
    )


@bp.post("/manage/feedback/<int:feedback_id>/hide")
@permission_required(Action.MODERATE_FEEDBACK)
def hide(feedback_id: int):
    """Hide feedback from the public with a reason; the original message is kept."""
    feedback = _load(feedback_id)
    form = HideForm(obj=feedback)
    actor = current_user._get_current_object()
    return _act(
        feedback,
        form,
        lambda: services.hide_feedback(feedback, form.hidden_reason.data, actor=actor),
        "Feedback hidden from the public. The message and the reason are kept.",
        field="hide_form",
        versioned=True,
    )


@bp.post("/manage/feedback/<int:feedback_id>/reply")
@permission_required(Action.REPLY_FEEDBACK)
def reply(feedback_id: int):
    """Reply publicly, on behalf of the project team (its managers, or an admin)."""
    feedback = _load(feedback_id)
    require(Action.REPLY_FEEDBACK, feedback)
    form = ReplyForm()
    author = current_user._get_current_object()
    return _act(
        feedback,
        form,
        lambda: services.reply_to_feedback(feedback, form.body.data, author=author),
        "Reply published on the project page.",
        field="reply_form",
        versioned=False,
    )
