"""Sign-in, sign-out and the user administration pages."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from pptracker.auth import services
from pptracker.auth.forms import LoginForm, UserForm
from pptracker.auth.models import User
from pptracker.auth.queries import users_ordered
from pptracker.errors import ConflictError, DomainError
from pptracker.extensions import db
from pptracker.forms import EmptyForm, attach_error, safe_next, show_conflict
from pptracker.permissions import Action, permission_required, public
from pptracker.services import check_version

bp = Blueprint("auth", __name__, template_folder="templates")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("projects.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, g.client_ip)
        except services.SignInThrottled as error:
            db.session.commit()
            form.form_errors.append(error.message)
            status = 429
        except services.SignInRefused as error:
            db.session.commit()  # keep the failed attempt: it feeds the throttle
            form.form_errors.append(error.message)
            status = 401
        else:
            db.session.commit()
            login_user(user)
            flash(f"Signed in as {user.name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("projects.index"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@public
def logout():
    """Sign out (a POST, so another site cannot sign you out with a link)."""
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.record_sign_out(current_user)
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("portal.home"))


@admin_bp.route("/users/")
@permission_required(Action.MANAGE_USERS)
def users():
    """List every account."""
    rows = db.session.scalars(users_ordered()).all()
    return render_template("auth/users.html", users=rows)


@admin_bp.route("/users/new", methods=["GET", "POST"])
@permission_required(Action.MANAGE_USERS)
def new_user():
    """Create an account."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(form.to_data())
        except DomainError as error:
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"User {user.email} created.", "success")
            return redirect(url_for("admin.users"))
    return _render_user_form(form, None)


@admin_bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required(Action.MANAGE_USERS)
def edit_user(user_id: int):
    """Edit an account: details, role, active flag, password."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            check_version(user, form.version.data)
            services.update_user(user, form.to_data(), actor=current_user)
        except ConflictError as error:
            db.session.rollback()
            show_conflict(form, user, error)
            return _render_user_form(form, user, 409)
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            flash(f"User {user.email} saved.", "success")
            return redirect(url_for("admin.users"))
    return _render_user_form(form, user)


@admin_bp.route("/users/<int:user_id>/history")
@permission_required(Action.VIEW_AUDIT_LOG)
def user_history(user_id: int):
    """Show every audit event about an account (changes, sign-ins, roles)."""
    from pptracker.audit import queries as audit_queries

    user = db.get_or_404(User, user_id)
    page = audit_queries.event_page(
        audit_queries.filtered_events(
            audit_queries.AuditFilters(entity_type="User", entity_id=user.id)
        ),
        before=_int_arg("before"),
        after=_int_arg("after"),
    )
    return render_template(
        "audit/history.html", subject=f"{user.name} ({user.email})", page=page, tabs=None
    )


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _render_user_form(form, user, status=None):
    if status is None:
        status = 400 if form.errors or form.form_errors else 200
    return render_template("auth/user_form.html", form=form, user=user), status
