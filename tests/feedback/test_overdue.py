"""Feedback waiting too long for a reply: the rule, the flag and the count."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.feedback import queries
from pptracker.feedback.models import Feedback, FeedbackReply, FeedbackStatus


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("waited_days", "hour", "overdue"),
    [(14, 23, False), (15, 0, True), (15, 23, True), (13, 0, False), (40, 12, True)],
)
def test_overdue_once_it_waited_more_than_the_days(app, waited_days, hour, overdue):
    today = date(2026, 3, 20)
    received = _at(today - timedelta(days=waited_days), hour)
    feedback = Feedback(status=FeedbackStatus.PUBLISHED, created_at=received)
    with app.app_context():
        found = queries.overdue_since(feedback, today=today)
    assert found == (received.date() if overdue else None)


def test_only_published_unanswered_feedback_is_overdue(app):
    today = date(2026, 3, 20)
    old = _at(date(2026, 1, 1), 9)
    with app.app_context():
        for status in (FeedbackStatus.PENDING, FeedbackStatus.HIDDEN):
            assert (
                queries.overdue_since(Feedback(status=status, created_at=old), today=today) is None
            )
        answered = Feedback(status=FeedbackStatus.PUBLISHED, created_at=old)
        answered.replies = [FeedbackReply(body="Ok.")]
        assert queries.overdue_since(answered, today=today, days=14) is None
        assert (
            queries.overdue_since(
                Feedback(status=FeedbackStatus.PUBLISHED, created_at=old), today=today, days=100
            )
            is None
        )


@pytest.fixture
def overdue_world(world, make_feedback, make_project, make_user):
    """On road (world.manager's): 2 overdue, 1 answered, 1 recent, 1 pending, 1 hidden.
    On rail (another manager's): 1 overdue."""
    days = 14
    other_manager = make_user(Role.MANAGER)
    make_project("rail", managers=[other_manager], published=True)
    make_feedback(message="Road overdue one.", status="published", age_days=days + 1)
    make_feedback(message="Road overdue two.", status="published", age_days=days + 30)
    make_feedback(message="Road answered.", status="published", age_days=days + 30, reply="Ok.")
    make_feedback(message="Road recent.", status="published", age_days=2)
    make_feedback(message="Road pending.", age_days=days + 30)
    make_feedback(message="Road hidden.", status="hidden", age_days=days + 30)
    make_feedback("rail", message="Rail overdue.", status="published", age_days=days + 3)
    return other_manager


def _count_with_statements(app, user) -> tuple[int, int]:
    statements = []

    def listener(*args):
        statements.append(args[2])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            count = queries.awaiting_reply_count(user)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    return count, len(statements)


def test_awaiting_reply_count_per_user_in_one_statement(app, world, overdue_world, make_user):
    assert _count_with_statements(app, world.manager) == (2, 1)
    assert _count_with_statements(app, overdue_world) == (1, 1)
    assert _count_with_statements(app, world.admin) == (3, 1)
    assert _count_with_statements(app, make_user(Role.MANAGER)) == (0, 1)
    # Auditors reply to no one; nothing to flag, nothing to ask the database.
    assert _count_with_statements(app, make_user(Role.AUDITOR)) == (0, 0)


def test_count_follows_the_configured_days(app, world, overdue_world):
    app.config["FEEDBACK_REPLY_DAYS"] = 40
    with app.app_context():
        assert queries.awaiting_reply_count(world.admin) == 1  # road overdue two (44 days)


def test_reply_takes_feedback_off_the_count(app, world, overdue_world, client, auth):
    auth.login(world.manager.email)
    with app.app_context():
        feedback_id = db.session.scalar(
            sa.select(Feedback.id).where(Feedback.message == "Road overdue one.")
        )
    client.post(f"/manage/feedback/{feedback_id}/reply", data={"body": "Sorry for the wait."})
    with app.app_context():
        assert queries.awaiting_reply_count(world.manager) == 1


def test_queue_flags_and_filters_overdue_feedback(app, world, overdue_world, client, auth):
    auth.login(world.manager.email)
    html = client.get("/manage/feedback/?status=published").get_data(as_text=True)
    assert html.count("Awaiting a reply since") == 2
    assert "2 published messages you may answer have waited more than 14 days" in html
    html = client.get("/manage/feedback/?overdue=1").get_data(as_text=True)
    assert "Road overdue one." in html and "Road overdue two." in html
    for other in ("Road answered.", "Road recent.", "Road pending.", "Road hidden.", "Rail"):
        assert other not in html
    auth.logout()
    auth.login(world.admin.email)
    html = client.get("/manage/feedback/?overdue=1").get_data(as_text=True)
    assert "Rail overdue." in html and "Road overdue two." in html
    assert "3 published messages" in html


def test_detail_flags_overdue(app, world, overdue_world, client, auth):
    auth.login(world.manager.email)
    with app.app_context():
        ids = dict(db.session.execute(sa.select(Feedback.message, Feedback.id)).all())
    html = client.get(f"/manage/feedback/{ids['Road overdue one.']}").get_data(as_text=True)
    assert "Awaiting a reply since" in html
    html = client.get(f"/manage/feedback/{ids['Road answered.']}").get_data(as_text=True)
    assert "Awaiting a reply since" not in html


def test_the_navigation_flags_feedback_awaiting_a_reply(world, overdue_world, client, auth):
    auth.login(world.manager.email)
    html = client.get("/manage/projects/").get_data(as_text=True)
    assert 'href="/manage/feedback/?overdue=1">Feedback <span class="badge' in html
    assert '2<span class="visually-hidden"> awaiting a reply for too long' in html
    auth.logout()

    auth.login(overdue_world.email)  # rail's manager: one overdue
    assert '1<span class="visually-hidden"> awaiting' in client.get("/").get_data(as_text=True)
    auth.logout()

    auth.login_as(Role.AUDITOR)  # reads the queue, answers nothing: no flag
    html = client.get("/").get_data(as_text=True)
    assert 'href="/manage/feedback/">Feedback</a>' in html and "awaiting a reply for" not in html
    auth.logout()
    assert "/manage/feedback/" not in client.get("/").get_data(as_text=True)
