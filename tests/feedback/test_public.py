"""What the public sees on the project page: published feedback, replies, the form."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from pptracker.database import today
from pptracker.extensions import db
from pptracker.feedback import public, queries

PARTIAL = '{% include "feedback/_public.html" %}'


def _render(app, code="road") -> str:
    from pptracker.milestones.queries import milestones_of
    from pptracker.projects.queries import get_project

    with app.test_request_context(f"/projects/{code}"):
        project = get_project(code)
        context = public.context(project, milestones_of(project.id))
        assert set(context) == {"feedback_items", "feedback_form", "feedback_reply_days"}
        return render_template_string(PARTIAL, project=project, **context)


def _statements(app, call) -> int:
    count = 0

    def listener(*_args):
        nonlocal count
        count += 1

    with app.test_request_context("/projects/road"):
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            call()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    return count


def test_empty_state_and_the_form(world, app):
    html = _render(app)
    assert '<section id="feedback" aria-labelledby="feedback-title"' in html
    assert '<h2 id="feedback-title">' in html
    assert "No published feedback on this project yet." in html
    assert 'action="/projects/road/feedback"' in html
    assert "Milestone: Bridge opens" in html and 'name="website"' in html
    assert "Never shown publicly" in html


def test_only_published_feedback_is_shown_and_never_the_email(world, app, make_feedback):
    make_feedback(message="Pending words stay private.", email="p@example.org")
    make_feedback(
        message="Hidden words stay private.",
        status="hidden",
        email="h@example.org",
        reason="Moderator's own reason.",
    )
    make_feedback(
        message="Published words for all.",
        status="published",
        email="pub@example.org",
        name="Ana",
        milestone_id=world.milestone_id,
        category="quality",
        reply="We fixed the railing.\nThank you.",
    )
    make_feedback(message="Nameless but published.", status="published", category="cost")
    html = _render(app)
    assert "Published words for all." in html and "Nameless but published." in html
    assert "Pending words stay private." not in html and "Hidden words stay private." not in html
    assert "Moderator's own reason." not in html and "Moderator&#39;s own reason." not in html
    assert "@example.org" not in html
    assert "Ana" in html and "Anonymous" in html
    assert "Quality of works or service" in html and "Costs, tariffs and payments" in html
    assert "“Bridge opens”" in html
    assert "Reply from the project team" in html
    assert "We fixed the railing.\nThank you." in html  # line breaks kept (pre-wrap)
    assert f'received <time datetime="{today().isoformat()}">' in html
    assert "No published feedback" not in html


def test_awaiting_a_reply_since_the_day_received_once_overdue(world, app, make_feedback):
    days = app.config["FEEDBACK_REPLY_DAYS"]
    make_feedback(message="Old and unanswered.", status="published", age_days=days + 1)
    make_feedback(message="Old but answered.", status="published", age_days=days + 5, reply="Ok.")
    make_feedback(message="Recent and unanswered.", status="published", age_days=days - 1)
    make_feedback(message="Old but pending.", age_days=days + 5)
    html = _render(app)
    received = (today() - timedelta(days=days + 1)).isoformat()
    assert html.count("Awaiting a reply since") == 1
    assert f'Awaiting a reply since <time datetime="{received}">{received}</time>' in html
    assert f"after {days} days" in html


def test_text_is_escaped(world, app, make_feedback):
    make_feedback(
        message="<script>alert(1)</script> & <b>bold</b>",
        status="published",
        name="<img src=x onerror=alert(2)>",
        reply="<a href='javascript:x'>click</a>",
    )
    html = _render(app)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "<a href='javascript" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


@pytest.mark.parametrize("messages", [1, 25])
def test_two_statements_whatever_the_number_of_messages(world, app, make_feedback, messages):
    from pptracker.milestones.queries import milestones_of
    from pptracker.projects.queries import get_project

    for n in range(messages):
        make_feedback(
            message=f"Message {n} on the road.",
            status="published",
            milestone_id=world.milestone_id if n % 2 else None,
            reply=f"Answer {n}." if n % 3 else None,
        )
    with app.app_context():
        project = get_project("road")
        milestones = milestones_of(project.id)
        db.session.expunge_all()

    def call():
        context = public.context(project, milestones)
        render_template_string(PARTIAL, project=project, **context)
        assert len(context["feedback_items"]) == messages

    assert _statements(app, call) == 2


def test_items_carry_no_email_or_moderation_fields(world, app, make_feedback):
    make_feedback(message="A message to read.", status="published", email="x@example.org")
    with app.app_context():
        (item,) = queries.public_feedback(1, milestones=[], today=today())
    fields = set(item.__dataclass_fields__)
    assert not fields & {"email", "client_hash", "hidden_reason", "moderated_by_id", "status"}


def test_the_portal_project_page_includes_the_partial(world, client, make_feedback):
    make_feedback(message="Seen on the project page.", status="published")
    page = client.get("/projects/road")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="feedback"' in html and "Seen on the project page." in html
