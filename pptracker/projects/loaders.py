"""Loading a project for a request: not found unless the user may see it."""

from flask import abort

from pptracker.permissions import Action, require
from pptracker.projects.queries import get_project


def visible_project_or_404(code: str):
    """Return the live project with this code, or answer 404.

    A project the user may not see is "not found" too, so its existence is
    not revealed.
    """
    project = get_project(code)
    if project is None:
        abort(404)
    require(Action.VIEW_PROJECT, project, hide=True)
    return project


def editable_project_or_404(code: str, action: Action):
    """Return the project if the user may do ``action`` on it (404 if unseen, 403 if not)."""
    project = visible_project_or_404(code)
    require(action, project)
    return project
