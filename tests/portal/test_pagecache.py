"""Public pages kept until the data change: served again for one statement, never stale."""

import re

import pytest
import sqlalchemy as sa

from pptracker.extensions import db
from pptracker.feedback.models import Feedback
from pptracker.projects.models import Project

PAGES = ["/", "/projects/", "/projects/toll-road", "/opendata/"]


@pytest.fixture
def cached(app, make_project):
    app.config["PUBLIC_PAGE_CACHE_ENTRIES"] = 16
    make_project("toll-road", title="Coastal Toll Road", published=True)
    return app


def _statements(app, client, url) -> tuple[int, str]:
    seen = []

    def listener(*args):
        seen.append(args[2])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, url
    return len(seen), response.get_data(as_text=True)


@pytest.mark.parametrize("url", PAGES)
def test_a_page_is_served_again_for_one_statement(cached, client, url):
    first_count, first = _statements(cached, client, url)
    again_count, again = _statements(cached, client, url)
    assert first_count > 1
    assert again_count == 1  # the data version
    assert again == first


def test_a_change_to_the_data_renders_the_page_afresh(cached, client, auth, make_user):
    assert "Coastal Toll Road" in client.get("/projects/toll-road").get_data(as_text=True)
    with cached.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.code == "toll-road"))
        project.title = "Coastal Expressway"
        db.session.commit()  # audited: the data version moves
    page = client.get("/projects/toll-road").get_data(as_text=True)
    assert "Coastal Expressway" in page and "Coastal Toll Road" not in page
    assert "Coastal Expressway" in client.get("/projects/").get_data(as_text=True)


def test_signed_in_readers_get_their_own_page(cached, client, auth):
    client.get("/projects/toll-road")  # cached for the public
    auth.login_as("admin")
    page = client.get("/projects/toll-road").get_data(as_text=True)
    assert "Manage this project" in page
    auth.logout()
    assert "Manage this project" not in client.get("/projects/toll-road").get_data(as_text=True)


def test_each_reader_gets_a_form_token_of_their_own_session(cached, app):
    app.config["WTF_CSRF_ENABLED"] = True
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    first, second = app.test_client(), app.test_client()
    mine = token.search(first.get("/projects/toll-road").get_data(as_text=True)).group(1)
    theirs = token.search(second.get("/projects/toll-road").get_data(as_text=True)).group(1)
    assert mine != theirs
    assert "\x00" not in second.get("/projects/toll-road").get_data(as_text=True)

    # The token from the cached page is good for its reader's session.
    response = second.post(
        "/projects/toll-road/feedback",
        data={
            "csrf_token": theirs,
            "about": "",
            "category": "question",
            "message": "When does the road open to traffic?",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Feedback.id))) == 1


def test_the_cache_is_bounded(cached, client, app):
    app.config["PUBLIC_PAGE_CACHE_ENTRIES"] = 2
    app.extensions.pop("pptracker.pagecache", None)
    for url in ["/", "/projects/", "/opendata/"]:
        client.get(url)
    assert len(app.extensions["pptracker.pagecache"]._pages) == 2


def test_a_refused_query_is_not_kept(cached, client):
    assert client.get("/projects/?sort=nonsense").status_code == 400
    assert client.get("/projects/?sort=nonsense").status_code == 400
