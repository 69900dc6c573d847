"""Feedback factories: a published project with a manager and a milestone, and messages."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from pptracker.auth.models import Role
from pptracker.extensions import db


@dataclass
class World:
    """A published project ``road`` managed by ``manager``, with one milestone."""

    code: str
    project_id: int
    milestone_id: int
    manager: object
    admin: object


@pytest.fixture
def world(app, make_user, make_project):
    """Build the project every feedback test works on."""
    from pptracker.milestones.services import MilestoneData, create_milestone
    from pptracker.projects.queries import get_project

    manager = make_user(Role.MANAGER)
    admin = make_user(Role.ADMIN)
    project = make_project("road", managers=[manager], published=True)
    with app.app_context():
        milestone = create_milestone(
            get_project("road"),
            MilestoneData(title="Bridge opens", type="delivery"),
            actor=None,
        )
        db.session.commit()
        milestone_id = milestone.id
    return World("road", project.id, milestone_id, manager, admin)


@pytest.fixture
def make_feedback(app):
    """Receive a message (through the service), optionally publish, hide or answer it.

    ``age_days`` back-dates it; returns its id.
    """
    counter = iter(range(1, 10_000))

    def make(
        code="road",
        *,
        message="The bridge works stopped last month.",
        status="pending",
        email=None,
        name=None,
        milestone_id=None,
        category="delay",
        age_days=0,
        reason="Personal attack on a named worker.",
        reply=None,
        moderator=None,
        replier=None,
    ) -> int:
        from pptracker.database import utcnow
        from pptracker.feedback import services
        from pptracker.milestones.queries import milestones_of
        from pptracker.projects.queries import get_project

        with app.app_context():
            project = get_project(code)
            received = utcnow() - timedelta(days=age_days)
            feedback = services.submit_feedback(
                project,
                services.FeedbackData(
                    message=message,
                    category=category,
                    milestone_id=milestone_id,
                    name=name,
                    email=email,
                ),
                client=f"factory-{next(counter)}",
                milestones=milestones_of(project.id),
                now=received,
            )
            if status in ("published", "hidden") or reply:
                services.publish_feedback(feedback, actor=moderator or _Someone())
            if status == "hidden":
                services.hide_feedback(feedback, reason, actor=moderator or _Someone())
            if reply:
                services.reply_to_feedback(feedback, reply, author=replier or project.managers[0])
            db.session.commit()
            return feedback.id

    return make


@dataclass
class _Someone:
    """A stand-in staff member for setting up data (no user row needed for ids)."""

    id: int | None = None
