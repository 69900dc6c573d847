"""The staff side: the queue, one message, publishing, hiding and replying, by role."""

import pytest
import sqlalchemy as sa

from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.feedback.models import Feedback, FeedbackReply, FeedbackStatus

EMAIL = "resident@example.org"


def _feedback(app, feedback_id) -> Feedback:
    with app.app_context():
        found = db.session.get(Feedback, feedback_id)
        found.replies  # noqa: B018 - loaded before the session closes
        db.session.expunge(found)
        return found


def _sign_in(auth, world, who):
    if who == "anonymous":
        return None
    if who == "manager":
        auth.login(world.manager.email)
        return world.manager
    if who == "admin":
        auth.login(world.admin.email)
        return world.admin
    return auth.login_as(Role.MANAGER if who == "other manager" else Role.AUDITOR)


@pytest.fixture
def pending(world, make_feedback):
    return make_feedback(email=EMAIL, name="Rui")


@pytest.fixture
def published(world, make_feedback):
    return make_feedback(email=EMAIL, status="published", message="Published one, please reply.")


@pytest.mark.parametrize(
    ("who", "index", "detail", "publish", "hide", "reply"),
    [
        ("anonymous", 302, 302, 302, 302, 302),
        ("manager", 200, 200, 403, 403, 302),
        ("other manager", 200, 404, 403, 403, 404),
        ("auditor", 200, 200, 403, 403, 403),
        ("admin", 200, 200, 302, 302, 302),
    ],
)
def test_who_may_do_what(
    world, client, auth, app, make_feedback, who, index, detail, publish, hide, reply
):
    pending = make_feedback(email=EMAIL)
    published = make_feedback(email=EMAIL, status="published")
    _sign_in(auth, world, who)
    assert client.get("/manage/feedback/").status_code == index
    assert client.get(f"/manage/feedback/{pending}").status_code == detail
    version = "1"
    assert (
        client.post(f"/manage/feedback/{pending}/publish", data={"version": version}).status_code
        == publish
    )
    assert (
        client.post(
            f"/manage/feedback/{published}/hide",
            data={"version": "2", "hidden_reason": "Off topic."},
        ).status_code
        == hide
    )
    other = make_feedback(email=EMAIL, status="published")
    response = client.post(f"/manage/feedback/{other}/reply", data={"body": "We are on it."})
    assert response.status_code == reply
    if who == "anonymous":
        assert response.headers["Location"].startswith("/login?next=")
    with app.app_context():
        replies = db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackReply))
        statuses = {f.id: f.status for f in db.session.scalars(sa.select(Feedback))}
    done = {
        name: code == 302 and who != "anonymous"
        for name, code in (("reply", reply), ("publish", publish), ("hide", hide))
    }
    assert replies == (1 if done["reply"] else 0)
    assert (statuses[pending] == FeedbackStatus.PUBLISHED) is done["publish"]
    assert (statuses[published] == FeedbackStatus.HIDDEN) is done["hide"]


def test_queue_lists_pending_by_default_and_filters(world, client, auth, make_feedback):
    make_feedback(message="A pending message here.")
    make_feedback(message="A published message here.", status="published")
    make_feedback(message="A hidden message here.", status="hidden")
    auth.login(world.admin.email)
    html = client.get("/manage/feedback/").get_data(as_text=True)
    assert "A pending message here." in html
    assert "A published message here." not in html and "A hidden message here." not in html
    html = client.get("/manage/feedback/?status=hidden").get_data(as_text=True)
    assert "A hidden message here." in html and "A pending message here." not in html
    html = client.get("/manage/feedback/?status=all").get_data(as_text=True)
    assert all(f"A {s} message here." in html for s in ("pending", "published", "hidden"))
    html = client.get("/manage/feedback/?status=all&project=elsewhere").get_data(as_text=True)
    assert "No feedback matches." in html
    assert client.get("/manage/feedback/?status=bogus&page=x").status_code == 200


def test_managers_see_only_their_projects_feedback(
    world, client, auth, make_feedback, make_project, make_user
):
    other_manager = make_user(Role.MANAGER)
    make_project("rail", managers=[other_manager], published=True)
    make_feedback(message="About the road project.")
    make_feedback("rail", message="About the rail project.")
    auth.login(world.manager.email)
    html = client.get("/manage/feedback/").get_data(as_text=True)
    assert "About the road project." in html and "About the rail project." not in html
    auth.logout()
    auth.login_as(Role.AUDITOR)
    html = client.get("/manage/feedback/").get_data(as_text=True)
    assert "About the road project." in html and "About the rail project." in html


def test_queue_is_paginated(world, client, auth, make_feedback):
    for n in range(51):
        make_feedback(message=f"Message number {n:03d}.")
    auth.login(world.admin.email)
    first = client.get("/manage/feedback/").get_data(as_text=True)
    second = client.get("/manage/feedback/?page=2").get_data(as_text=True)
    assert "Message number 000." in first and "Message number 050." not in first
    assert "Message number 050." in second
    assert "51 in all" in first


def test_email_is_shown_to_those_who_may_reply_or_moderate_only(world, client, auth, pending):
    for who, shown in (("manager", True), ("admin", True), ("auditor", False)):
        _sign_in(auth, world, who)
        html = client.get(f"/manage/feedback/{pending}").get_data(as_text=True)
        assert "The bridge works stopped last month." in html and "Rui" in html
        assert (EMAIL in html) is shown, who
        auth.logout()


def test_publish_sets_who_and_when(world, client, auth, app, pending):
    auth.login(world.admin.email)
    response = client.post(f"/manage/feedback/{pending}/publish", data={"version": "1"})
    assert response.status_code == 302
    found = _feedback(app, pending)
    assert found.status == FeedbackStatus.PUBLISHED
    assert found.published_at is not None and found.moderated_at is not None
    assert found.moderated_by_id == world.admin.id
    html = client.get(f"/manage/feedback/{pending}").get_data(as_text=True)
    assert "Feedback published on the project page." in html
    assert world.admin.name in html


def test_hiding_needs_a_reason_and_keeps_the_message(world, client, auth, app, published):
    auth.login(world.admin.email)
    refused = client.post(
        f"/manage/feedback/{published}/hide", data={"version": "2", "hidden_reason": "  "}
    )
    assert refused.status_code == 400
    assert "Say why it is hidden." in refused.get_data(as_text=True)
    assert _feedback(app, published).status == FeedbackStatus.PUBLISHED
    response = client.post(
        f"/manage/feedback/{published}/hide",
        data={"version": "2", "hidden_reason": "Names a private person."},
    )
    assert response.status_code == 302
    found = _feedback(app, published)
    assert found.status == FeedbackStatus.HIDDEN
    assert found.hidden_reason == "Names a private person."
    assert found.message == "Published one, please reply."
    html = client.get(f"/manage/feedback/{published}").get_data(as_text=True)
    assert "Names a private person." in html and "Published one, please reply." in html
    assert "Publish again" in html


def test_hidden_can_be_published_again_and_hidden_again(world, client, auth, app, published):
    auth.login(world.admin.email)
    client.post(f"/manage/feedback/{published}/hide", data={"version": "2", "hidden_reason": "x"})
    again = client.post(f"/manage/feedback/{published}/publish", data={"version": "3"})
    assert again.status_code == 302
    found = _feedback(app, published)
    assert found.status == FeedbackStatus.PUBLISHED and found.hidden_reason is None
    hidden = client.post(
        f"/manage/feedback/{published}/hide", data={"version": "4", "hidden_reason": "Spam."}
    )
    assert hidden.status_code == 302
    assert _feedback(app, published).status == FeedbackStatus.HIDDEN


def test_stale_moderation_form_is_a_conflict(world, client, auth, app, pending):
    auth.login(world.admin.email)
    assert client.post(f"/manage/feedback/{pending}/publish", data={"version": "1"}).status_code
    # Someone read the page at version 1 and hides it after the publication.
    stale = client.post(
        f"/manage/feedback/{pending}/hide", data={"version": "1", "hidden_reason": "Rude."}
    )
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Someone else changed this record" in html
    assert 'name="version" type="hidden" value="2"' in html
    assert _feedback(app, pending).status == FeedbackStatus.PUBLISHED


def test_publishing_twice_says_so(world, client, auth, published):
    auth.login(world.admin.email)
    response = client.post(f"/manage/feedback/{published}/publish", data={"version": "2"})
    assert response.status_code == 400
    assert "published already" in response.get_data(as_text=True)


def test_reply_is_public_only_on_published_feedback(world, client, auth, app, pending, published):
    auth.login(world.manager.email)
    refused = client.post(f"/manage/feedback/{pending}/reply", data={"body": "Thanks."})
    assert refused.status_code == 400
    assert "Only published feedback can be answered" in refused.get_data(as_text=True)
    empty = client.post(f"/manage/feedback/{published}/reply", data={"body": "   "})
    assert empty.status_code == 400
    assert "Write the reply." in empty.get_data(as_text=True)
    response = client.post(
        f"/manage/feedback/{published}/reply", data={"body": "Works resume on Monday."}
    )
    assert response.status_code == 302
    with app.app_context():
        reply = db.session.scalar(sa.select(FeedbackReply))
        assert reply.body == "Works resume on Monday."
        assert reply.author_id == world.manager.id and reply.feedback_id == published
    html = client.get(f"/manage/feedback/{published}").get_data(as_text=True)
    assert "Works resume on Monday." in html and world.manager.name in html


def test_detail_of_feedback_on_a_deleted_project_is_not_found(world, client, auth, app, pending):
    from pptracker.projects.queries import get_project
    from pptracker.projects.services import delete_project

    with app.app_context():
        delete_project(get_project("road"))
        db.session.commit()
    auth.login(world.admin.email)
    assert client.get(f"/manage/feedback/{pending}").status_code == 404
    assert client.get("/manage/feedback/999999").status_code == 404


class TestAudit:
    """Every receipt, moderation and reply is in the log; the email and client never are."""

    def _events(self, app, entity_type):
        with app.app_context():
            return db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.entity_type == entity_type)
                .order_by(AuditEvent.seq)
            ).all()

    def test_the_journey_is_logged_with_its_actors(self, world, client, auth, app):
        sent = client.post(
            "/projects/road/feedback",
            data={"category": "cost", "message": "Why did the toll rise?", "email": EMAIL},
        )
        assert sent.status_code == 303
        with app.app_context():
            feedback_id = db.session.scalar(sa.select(Feedback.id))
        auth.login(world.admin.email)
        client.post(f"/manage/feedback/{feedback_id}/publish", data={"version": "1"})
        auth.logout()
        auth.login(world.manager.email)
        client.post(f"/manage/feedback/{feedback_id}/reply", data={"body": "Indexation."})
        created, published = self._events(app, "Feedback")
        assert (created.action, created.actor, created.actor_id) == ("create", "anonymous", None)
        assert created.project_id == world.project_id
        assert created.summary == f"Created Feedback #{feedback_id}"
        assert created.changes["email"] == [None, "[redacted]"]
        assert created.changes["client_hash"] == [None, "[redacted]"]
        assert created.changes["message"] == [None, "Why did the toll rise?"]
        assert (published.action, published.actor_id) == ("update", world.admin.id)
        assert published.changes["status"] == ["pending", "published"]
        (reply,) = self._events(app, "FeedbackReply")
        assert (reply.action, reply.actor_id) == ("create", world.manager.id)
        assert reply.project_id == world.project_id

    def test_the_email_never_reaches_the_log(self, world, client, auth, app):
        # Without a name the log could have named the feedback after the email.
        client.post(
            "/projects/road/feedback",
            data={"category": "other", "message": "Please call me back.", "email": EMAIL},
        )
        with app.app_context():
            feedback_id = db.session.scalar(sa.select(Feedback.id))
            client_hash = db.session.scalar(sa.select(Feedback.client_hash))
        auth.login(world.admin.email)
        client.post(
            f"/manage/feedback/{feedback_id}/hide",
            data={"version": "1", "hidden_reason": "Personal request."},
        )
        with app.app_context():
            rows = db.session.execute(sa.select(AuditEvent.__table__)).all()
        logged = " ".join(str(value) for row in rows for value in row)
        assert "Please call me back." in logged  # the search itself works
        assert EMAIL not in logged and "resident" not in logged
        assert client_hash not in logged
