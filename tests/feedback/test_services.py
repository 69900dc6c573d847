"""The rules hold whoever calls the services (the form, the demo, a future API)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pptracker.database import utcnow
from pptracker.errors import DomainError
from pptracker.extensions import db
from pptracker.feedback import services
from pptracker.feedback.models import Feedback


def _submit(app, **changes):
    from pptracker.milestones.queries import milestones_of
    from pptracker.projects.queries import get_project

    values = {"message": "The works stopped.", "category": "delay"} | changes
    with app.app_context():
        project = get_project("road")
        feedback = services.submit_feedback(
            project,
            services.FeedbackData(**values),
            client="client-a",
            milestones=milestones_of(project.id),
        )
        db.session.commit()
        return feedback.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"message": "   short   "}, "message"),
        ({"message": "m" * 5001}, "message"),
        ({"category": "gossip"}, "category"),
        ({"category": None}, "category"),
        ({"milestone_id": 999}, "about"),
        ({"name": "n" * 121}, "name"),
        ({"email": "nobody@"}, "email"),
    ],
)
def test_submit_refuses_invalid_fields(world, app, changes, field):
    with pytest.raises(DomainError) as refused:
        _submit(app, **changes)
    assert refused.value.field == field
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0


def test_submit_keeps_clean_values(world, app):
    feedback_id = _submit(
        app, message="  Works stopped.  ", name="  ", email=" a@example.org ", category="cost"
    )
    with app.app_context():
        found = db.session.get(Feedback, feedback_id)
        assert (found.message, found.name, found.email) == ("Works stopped.", None, "a@example.org")


def test_rate_limit_says_when_the_oldest_message_leaves_the_window(world, app):
    limit, window = app.config["FEEDBACK_RATE_LIMIT"], app.config["FEEDBACK_RATE_WINDOW"]
    ids = [_submit(app) for _ in range(limit)]
    with app.app_context():
        first = db.session.get(Feedback, ids[0]).created_at
        with pytest.raises(services.RateLimited) as refused:
            services.check_rate_limit("client-a")
        assert refused.value.retry_at == first + timedelta(seconds=window)
        services.check_rate_limit("client-b")  # another client is free
        services.check_rate_limit("client-a", now=first + timedelta(seconds=window))


def test_client_hash_is_keyed(app):
    one = services.client_hash("203.0.113.5", secret="key one")
    assert one == services.client_hash("203.0.113.5", secret="key one")
    assert one != services.client_hash("203.0.113.5", secret="key two")
    assert one != services.client_hash("203.0.113.6", secret="key one")
    assert len(one) == 64


def test_moderation_refuses_bad_requests(world, app, make_feedback):
    feedback_id = make_feedback(status="published")
    with app.app_context():
        feedback = db.session.get(Feedback, feedback_id)
        with pytest.raises(DomainError, match="at most 2000"):
            services.hide_feedback(feedback, "r" * 2001, actor=world.admin)
        with pytest.raises(DomainError, match="at most 5000"):
            services.reply_to_feedback(feedback, "b" * 5001, author=world.manager)
        services.hide_feedback(feedback, "Spam.", actor=world.admin, now=utcnow())
        with pytest.raises(DomainError, match="hidden already"):
            services.hide_feedback(feedback, "Again.", actor=world.admin)
        with pytest.raises(DomainError, match="Only published feedback"):
            services.reply_to_feedback(feedback, "Hello.", author=world.manager)
