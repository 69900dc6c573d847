"""The public home page."""

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from pptracker.extensions import db
from pptracker.permissions import project_scope, public
from pptracker.projects.models import Project

bp = Blueprint("main", __name__, template_folder="templates")

HOME_PROJECTS = 25


@bp.route("/")
@public
def home():
    """Introduce pptracker and list the most recently published projects."""
    published = project_scope(None)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Project).where(published))
    projects = db.session.scalars(
        sa.select(Project)
        .where(published)
        .options(selectinload(Project.public_authority), selectinload(Project.private_party))
        .order_by(Project.published_at.desc(), Project.id.desc())
        .limit(HOME_PROJECTS)
    ).all()
    return render_template("main/home.html", projects=projects, total=total, user=current_user)
