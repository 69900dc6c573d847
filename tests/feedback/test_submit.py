"""Sending feedback: the form, its checks, the honeypot and the rate limit."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.feedback.models import Feedback, FeedbackCategory, FeedbackStatus

URL = "/projects/road/feedback"
GOOD = {
    "about": "",
    "category": "delay",
    "message": "  The bridge works stopped in May.\nNobody says why.  ",
    "name": "Maria",
    "email": "maria@example.org",
}


def _rows(app) -> list[Feedback]:
    with app.app_context():
        return db.session.scalars(sa.select(Feedback).order_by(Feedback.id)).all()


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Feedback))


def test_form_offers_the_project_and_its_milestones(world, client):
    page = client.get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The project as a whole" in html and "Milestone: Bridge opens" in html
    assert "Delays and progress" in html  # a category title
    assert "Never shown publicly" in html and "to write back to you" in html
    # The honeypot is there for bots, out of sight and reach of people.
    assert 'name="website"' in html and 'tabindex="-1"' in html
    assert 'autocomplete="off"' in html and "Leave this field empty" in html


def test_milestone_in_the_address_is_preselected(world, client):
    html = client.get(f"{URL}?milestone={world.milestone_id}").get_data(as_text=True)
    assert f'<option selected value="{world.milestone_id}">' in html
    assert client.get(f"{URL}?milestone=nonsense").status_code == 200


def test_message_is_received_pending_and_redirects_with_a_notice(world, client, app):
    response = client.post(URL, data=GOOD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(URL)
    page = client.get(URL).get_data(as_text=True)
    assert "your message was received" in page and "A moderator reads it" in page
    (row,) = _rows(app)
    assert row.status == FeedbackStatus.PENDING
    assert row.message == "The bridge works stopped in May.\nNobody says why."
    assert row.category == FeedbackCategory.DELAY and row.milestone_id is None
    assert row.name == "Maria" and row.email == "maria@example.org"
    assert len(row.client_hash) == 64 and "127.0.0.1" not in row.client_hash


def test_message_about_a_milestone(world, client, app):
    response = client.post(URL, data={**GOOD, "about": str(world.milestone_id)})
    assert response.status_code == 303
    assert _rows(app)[0].milestone_id == world.milestone_id


def test_name_and_email_are_optional(world, client, app):
    response = client.post(URL, data={**GOOD, "name": " ", "email": ""})
    assert response.status_code == 303
    row = _rows(app)[0]
    assert row.name is None and row.email is None


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"message": ""}, "Write your message"),
        ({"message": "   too short   "}, "between 10 and 5,000 characters"),
        ({"message": "x" * 5001}, "between 10 and 5,000 characters"),
        ({"category": ""}, "Choose what your message is about."),
        ({"category": "gossip"}, "Not a valid choice"),
        ({"about": "999999"}, "Not a valid choice"),
        ({"about": "abc"}, "Invalid Choice"),
        ({"name": "n" * 121}, "At most 120 characters"),
        ({"email": "not-an-email"}, "Enter an email address like name@example.org"),
        ({"email": "a@" + "b" * 250 + ".org"}, "At most 254 characters"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_kept(world, client, app, changes, error):
    response = client.post(URL, data={**GOOD, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in html
    assert "There is a problem" in html
    assert _count(app) == 0


def test_message_of_exactly_ten_and_five_thousand_characters_is_accepted(world, client, app):
    assert client.post(URL, data={**GOOD, "message": " " + "x" * 10 + " "}).status_code == 303
    assert client.post(URL, data={**GOOD, "message": "y" * 5000}).status_code == 303
    assert [len(r.message) for r in _rows(app)] == [10, 5000]


def test_milestone_of_another_project_is_refused(world, client, app, make_project):
    from pptracker.milestones.services import MilestoneData, create_milestone
    from pptracker.projects.queries import get_project

    make_project("rail", published=True)
    with app.app_context():
        other = create_milestone(
            get_project("rail"), MilestoneData(title="Depot", type="delivery"), actor=None
        )
        db.session.commit()
        other_id = other.id
    response = client.post(URL, data={**GOOD, "about": str(other_id)})
    assert response.status_code == 400
    assert _count(app) == 0


def test_honeypot_filled_in_is_a_bad_request_and_nothing_is_kept(world, client, app):
    response = client.post(URL, data={**GOOD, "website": "http://spam.example"})
    assert response.status_code == 400
    assert "looks automated" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_unpublished_or_deleted_project_takes_no_feedback_from_anyone(
    world, client, auth, app, make_project
):
    from pptracker.projects.queries import get_project
    from pptracker.projects.services import delete_project

    manager = auth.make_user(Role.MANAGER)
    make_project("draft", managers=[manager])
    make_project("gone", published=True)
    with app.app_context():
        delete_project(get_project("gone"))
        db.session.commit()
    for code in ("draft", "gone", "missing"):
        assert client.get(f"/projects/{code}/feedback").status_code == 404
        assert client.post(f"/projects/{code}/feedback", data=GOOD).status_code == 404
    auth.login(manager.email)
    assert client.get("/projects/draft/feedback").status_code == 404
    auth.logout()
    auth.login_as(Role.ADMIN)
    assert client.post("/projects/draft/feedback", data=GOOD).status_code == 404
    assert _count(app) == 0


class TestRateLimit:
    """At most FEEDBACK_RATE_LIMIT messages per client in FEEDBACK_RATE_WINDOW seconds."""

    def test_one_more_than_the_limit_is_refused_with_when_to_retry(self, world, client, app):
        limit = app.config["FEEDBACK_RATE_LIMIT"]
        for _ in range(limit):
            assert client.post(URL, data=GOOD).status_code == 303
        response = client.post(URL, data={**GOOD, "message": "One message too many."})
        html = response.get_data(as_text=True)
        assert response.status_code == 429
        assert "Please wait before sending another message" in html
        assert "You may send another one from" in html and " UTC" in html
        assert 0 < int(response.headers["Retry-After"]) <= app.config["FEEDBACK_RATE_WINDOW"]
        assert "One message too many." in html  # the text is not lost
        assert _count(app) == limit

    def test_over_the_limit_even_an_invalid_form_gets_429(self, world, client, app):
        for _ in range(app.config["FEEDBACK_RATE_LIMIT"]):
            client.post(URL, data=GOOD)
        assert client.post(URL, data={**GOOD, "message": ""}).status_code == 429

    def test_another_client_may_still_send(self, world, client, app):
        for _ in range(app.config["FEEDBACK_RATE_LIMIT"]):
            client.post(URL, data=GOOD)
        assert client.post(URL, data=GOOD).status_code == 429
        other = client.post(URL, data=GOOD, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert other.status_code == 303
        hashes = {r.client_hash for r in _rows(app)}
        assert len(hashes) == 2

    def test_the_limit_counts_across_projects(self, world, client, app, make_project):
        make_project("rail", published=True)
        for _ in range(app.config["FEEDBACK_RATE_LIMIT"]):
            client.post(URL, data=GOOD)
        assert client.post("/projects/rail/feedback", data=GOOD).status_code == 429

    def test_once_the_window_passes_the_client_may_send_again(self, world, client, app):
        limit, window = app.config["FEEDBACK_RATE_LIMIT"], app.config["FEEDBACK_RATE_WINDOW"]
        for _ in range(limit):
            client.post(URL, data=GOOD)
        assert client.post(URL, data=GOOD).status_code == 429
        with app.app_context():
            oldest = db.session.scalars(sa.select(Feedback).order_by(Feedback.id)).first()
            oldest.created_at -= timedelta(seconds=window + 1)
            db.session.commit()
        assert client.post(URL, data=GOOD).status_code == 303
        assert client.post(URL, data=GOOD).status_code == 429
        assert _count(app) == limit + 1

    def test_the_limit_follows_the_configuration(self, world, client, app):
        app.config["FEEDBACK_RATE_LIMIT"] = 1
        assert client.post(URL, data=GOOD).status_code == 303
        assert client.post(URL, data=GOOD).status_code == 429


def test_line_breaks_count_as_one_character_as_in_the_browser(world, client, app):
    message = ("x" * 99 + "\r\n") * 49 + "y" * 100  # 5,000 characters in the browser
    assert client.post(URL, data={**GOOD, "message": message}).status_code == 303
    stored = _rows(app)[0].message
    assert len(stored) == 5000 and "\r" not in stored
