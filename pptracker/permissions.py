"""The one place that decides who may do what.

Views, the portal, templates (through ``can``) and the CLI ask this module;
nothing else compares roles. Every route must name its permission with
``permission_required`` (or ``public``): ``enforce_route_permissions``
refuses any route that names none, so a forgotten check fails closed.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from pptracker.auth.models import Role


class Action(StrEnum):
    """Everything a user can ask to do."""

    VIEW_PROJECT = "project.view"
    LIST_PROJECTS = "project.list"
    CREATE_PROJECT = "project.create"
    EDIT_PROJECT = "project.edit"
    DELETE_PROJECT = "project.delete"
    PUBLISH_PROJECT = "project.publish"
    ASSIGN_MANAGERS = "project.assign"
    VIEW_UNPUBLISHED = "project.view_unpublished"
    VIEW_PARTIES = "party.view"
    EDIT_PARTY = "party.edit"
    DELETE_PARTY = "party.delete"
    MANAGE_USERS = "user.manage"
    VIEW_ACCOUNT = "account.view"
    VIEW_AUDIT_LOG = "audit.view"
    EXPORT_AUDIT_LOG = "audit.export"
    VERIFY_AUDIT = "audit.verify"
    VIEW_HISTORY = "history.view"
    VIEW_FINDINGS = "finding.view"
    RAISE_FINDING = "finding.raise"
    ANSWER_FINDING = "finding.answer"
    CLOSE_FINDING = "finding.close"
    EDIT_CONTRACTS = "contract.edit"
    MANAGE_DOCUMENTS = "document.manage"
    DOWNLOAD_DOCUMENT = "document.download"
    VIEW_CONFIDENTIAL = "confidential.view"
    EDIT_MILESTONES = "milestone.edit"
    APPROVE_MILESTONE = "milestone.approve"
    REBASELINE_MILESTONE = "milestone.rebaseline"
    VIEW_MY_MILESTONES = "milestone.mine"
    EDIT_BUDGET = "budget.edit"
    VIEW_SPENDING = "spending.view"
    EDIT_OPERATIONS = "operations.edit"
    SEND_FEEDBACK = "feedback.send"
    VIEW_FEEDBACK = "feedback.view"
    REPLY_FEEDBACK = "feedback.reply"
    MODERATE_FEEDBACK = "feedback.moderate"


#: What anyone, signed in or not, may do.
PUBLIC_GRANTS: frozenset[Action] = frozenset(
    {Action.VIEW_PROJECT, Action.DOWNLOAD_DOCUMENT, Action.SEND_FEEDBACK}
)

_STAFF = PUBLIC_GRANTS | {Action.LIST_PROJECTS, Action.VIEW_PARTIES, Action.VIEW_ACCOUNT}

#: What each role may do, before object rules. Anything absent is refused.
ROLE_GRANTS: dict[Role, frozenset[Action]] = {
    Role.MANAGER: frozenset(
        _STAFF
        | {
            Action.CREATE_PROJECT,
            Action.EDIT_PROJECT,
            Action.EDIT_PARTY,
            Action.VIEW_HISTORY,
            Action.VIEW_FINDINGS,
            Action.ANSWER_FINDING,
            Action.EDIT_CONTRACTS,
            Action.MANAGE_DOCUMENTS,
            Action.VIEW_CONFIDENTIAL,
            Action.EDIT_MILESTONES,
            Action.VIEW_MY_MILESTONES,
            Action.EDIT_BUDGET,
            Action.EDIT_OPERATIONS,
            Action.VIEW_FEEDBACK,
            Action.REPLY_FEEDBACK,
        }
    ),
    Role.AUDITOR: frozenset(
        _STAFF
        | {
            Action.VIEW_UNPUBLISHED,
            Action.VIEW_AUDIT_LOG,
            Action.EXPORT_AUDIT_LOG,
            Action.VERIFY_AUDIT,
            Action.VIEW_HISTORY,
            Action.VIEW_FINDINGS,
            Action.RAISE_FINDING,
            Action.CLOSE_FINDING,
            Action.VIEW_CONFIDENTIAL,
            Action.VIEW_SPENDING,
            Action.VIEW_FEEDBACK,
        }
    ),
    # Admins manage, they do not audit: raising and closing findings is the
    # auditors' independent judgement.
    Role.ADMIN: frozenset(Action) - {Action.RAISE_FINDING, Action.CLOSE_FINDING},
}


def _assigned(user, project) -> bool:
    return any(manager.id == user.id for manager in project.managers)


def _may_view_project(user, project) -> bool:
    if project.published and not project.is_deleted:
        return True
    if not user.is_authenticated:
        return False
    return can(user, Action.VIEW_UNPUBLISHED) or _assigned(user, project)


def _manages(user, project) -> bool:
    return user.role != Role.MANAGER or _assigned(user, project)


def _project_of(obj):
    # Findings (and later records) belong to a project; projects are their own.
    return getattr(obj, "project", None) or obj


#: Rules about a particular object, applied after the role grant. Managers
#: act only on, and see the history and findings only of, their projects.
OBJECT_RULES: dict[Action, Callable[[object, object], bool]] = {
    Action.VIEW_PROJECT: _may_view_project,
    Action.EDIT_PROJECT: lambda user, project: user.role == Role.ADMIN or _assigned(user, project),
    Action.VIEW_HISTORY: lambda user, obj: _manages(user, _project_of(obj)),
    Action.VIEW_FINDINGS: lambda user, obj: _manages(user, _project_of(obj)),
    Action.ANSWER_FINDING: lambda user, obj: _manages(user, _project_of(obj)),
    Action.EDIT_CONTRACTS: lambda user, obj: _manages(user, _project_of(obj)),
    Action.MANAGE_DOCUMENTS: lambda user, obj: _manages(user, _project_of(obj)),
    Action.VIEW_CONFIDENTIAL: lambda user, obj: _manages(user, _project_of(obj)),
    Action.EDIT_MILESTONES: lambda user, obj: _manages(user, _project_of(obj)),
    Action.EDIT_BUDGET: lambda user, obj: _manages(user, _project_of(obj)),
    Action.EDIT_OPERATIONS: lambda user, obj: _manages(user, _project_of(obj)),
    Action.DOWNLOAD_DOCUMENT: lambda user, doc: _may_download(user, doc),
    Action.VIEW_FEEDBACK: lambda user, obj: _manages(user, _project_of(obj)),
    Action.REPLY_FEEDBACK: lambda user, obj: _manages(user, _project_of(obj)),
}


def _may_download(user, document) -> bool:
    project = document.project
    if document.is_deleted or project.is_deleted:
        return False
    if document.public and not document.confidential and project.published:
        # Attached to a withheld contract, amendment or KPI, it is withheld with it.
        from pptracker.disclosure import document_is_public  # disclosure imports this module

        if document_is_public(document):
            return True
    if role_of(user) is None:
        return False
    return can(user, Action.VIEW_UNPUBLISHED) or _assigned(user, project)


def role_of(user) -> Role | None:
    """Return the role of an active, signed-in user, else None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def can(user, action: Action, obj=None) -> bool:
    """Tell whether ``user`` may do ``action`` (on ``obj``, when given).

    :param user: a ``User`` or Flask-Login's anonymous user.
    :param action: what is asked.
    :param obj: the object acted on; object rules apply only when given.
    :return: True when allowed.
    """
    role = role_of(user)
    grants = ROLE_GRANTS.get(role, frozenset()) if role else PUBLIC_GRANTS
    if action not in grants:
        return False
    rule = OBJECT_RULES.get(action)
    return obj is None or rule is None or rule(user, obj)


def require(action: Action, obj=None, *, hide: bool = False) -> None:
    """Abort unless the current user may do ``action``.

    :param hide: answer 404 instead of 403, so the object's existence is not
        revealed to someone who may not see it.
    :raise 401: (through Flask-Login) when anonymous and signing in could help.
    :raise 403/404: when refused.
    """
    if can(current_user, action, obj):
        return
    if hide:
        abort(404)
    if not current_user.is_authenticated:
        current_app.login_manager.unauthorized()
        abort(401)  # unauthorized() normally raises a redirect; belt and braces
    abort(403)


def permission_required(action: Action):
    """Mark a view as needing ``action`` and check the role grant on each call."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(current_user, action):
                if not current_user.is_authenticated:
                    return current_app.login_manager.unauthorized()
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = action
        return wrapped

    return decorator


def public(view):
    """Mark a view as open to everyone (sign-in, error pages, the home page)."""
    view.permission = "public"
    return view


#: Endpoints served by extensions: static files only.
_OPEN_ENDPOINTS = {"static", "bootstrap.static"}


def enforce_route_permissions() -> None:
    """Refuse any request whose view names no permission (deny by default)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in _OPEN_ENDPOINTS:
        return  # a 404 or a static file
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "permission", None) is None:
        abort(403)


def project_scope(user):
    """Return the SQL condition for the projects ``user`` may see in lists.

    The list counterpart of the ``VIEW_PROJECT`` object rule above.
    """
    import sqlalchemy as sa

    from pptracker.projects.models import Project, project_managers

    visible = sa.and_(Project.published.is_(True), Project.is_deleted.is_(False))
    if role_of(user) is None:
        return visible
    if can(user, Action.VIEW_UNPUBLISHED):
        return Project.is_deleted.is_(False)
    assigned = sa.exists().where(
        project_managers.c.project_id == Project.id, project_managers.c.user_id == user.id
    )
    return sa.or_(visible, sa.and_(Project.is_deleted.is_(False), assigned))
