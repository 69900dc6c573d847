"""The open data routes: the page, who gets what, ETags, statement counts, streaming."""

import gc
import json
import tracemalloc
from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.opendata import jsonout
from pptracker.opendata.tables import TABLES
from pptracker.projects.models import Party, Project
from pptracker.reports import cache
from tests.opendata.conftest import build_rich_project, count_statements

ROLES = [None, Role.MANAGER, Role.AUDITOR, Role.ADMIN]


def _urls(code):
    return [
        "/opendata/",
        "/opendata/oc4ids.json",
        f"/projects/{code}/oc4ids.json",
        *(f"/opendata/{name}.{fmt}" for name in TABLES for fmt in ("csv", "json")),
    ]


# --- the page -----------------------------------------------------------------------------


def test_the_page_lists_the_datasets_fields_licence_and_policy(client, rich):
    response = client.get("/opendata/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Open data</h1>" in page
    assert 'id="policy"' in page and "Publication policy" in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page
    assert "Creative Commons Attribution 4.0 International (CC BY 4.0)" in page
    assert 'href="/opendata/oc4ids.json"' in page
    for name, table in TABLES.items():
        assert f'href="/opendata/{name}.csv"' in page
        assert f'href="/opendata/{name}.json"' in page
        for field in table.fields:
            assert f"<code>{field.name}</code>" in page
    # What is withheld is said, with the count.
    assert "1 withheld: confidential" in page  # the contract HT-SIDE
    assert "<code>oc4ids-pptrak</code>" in page
    for words in ("feedback", "Unpublished projects", "Confidential records", "email"):
        assert words in page


def test_the_page_takes_the_licence_and_contact_from_the_config(app, client):
    app.config.update(
        OPENDATA_LICENSE_URL="https://opendatacommons.org/licenses/odbl/1-0/",
        OPENDATA_LICENSE_TITLE="Open Database License (ODbL)",
        OPENDATA_CONTACT_EMAIL="opendata@example.org",
    )
    page = client.get("/opendata/").get_data(as_text=True)
    assert 'href="https://opendatacommons.org/licenses/odbl/1-0/"' in page
    assert "Open Database License (ODbL)" in page
    assert 'href="mailto:opendata@example.org"' in page


# --- who gets what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_gets_the_open_data_of_a_published_project(client, auth, make_project, role):
    make_project("open-road", published=True)
    if role is not None:
        auth.login_as(role)
    for url in _urls("open-road"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_an_unpublished_or_deleted_project_has_no_package_for_anyone(
    app, client, auth, make_project, make_user, role
):
    manager = make_user(Role.MANAGER)
    make_project("draft-road", managers=[manager])
    make_project("gone-road", published=True, managers=[manager])
    with app.app_context():
        db.session.query(Project).filter_by(code="gone-road").one().is_deleted = True
        db.session.commit()
    if role is Role.MANAGER:
        assert auth.login(manager.email).status_code == 302  # even the project's own manager
    elif role is not None:
        auth.login_as(role)
    for code in ("draft-road", "gone-road", "no-such-project"):
        assert client.get(f"/projects/{code}/oc4ids.json").status_code == 404
    package = json.loads(client.get("/opendata/oc4ids.json").data)
    assert package["projects"] == []
    assert client.get("/opendata/projects.json").get_json() == []


def test_a_head_request_sends_no_body(client, make_project):
    make_project("open-road", published=True)
    response = client.head("/opendata/oc4ids.json")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["ETag"]


# --- ETags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/opendata/oc4ids.json", "/projects/open-road/oc4ids.json", "/opendata/projects.csv"]
)
def test_an_unchanged_export_is_answered_with_304_after_one_statement(
    app, client, make_project, make_party, url
):
    make_project("open-road", published=True)
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, no-cache"
    etag = first.headers["ETag"]
    assert etag.startswith('"') and len(etag) == 66

    again = client.get(url)
    assert again.headers["ETag"] == etag
    assert again.data == first.data

    statements, cached = count_statements(
        app, lambda: client.get(url, headers={"If-None-Match": etag})
    )
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == etag
    assert cached.headers["Cache-Control"] == "public, no-cache"
    assert statements == 1  # the data version (with the project), nothing built

    make_party("A new organisation")  # any change of the data
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_the_etag_follows_the_settings_that_shape_the_bytes(app, client, make_project):
    make_project("open-road", published=True)
    etag = client.get("/opendata/oc4ids.json").headers["ETag"]
    app.config["OC4IDS_PREFIX"] = "oc4ids-abcdef"
    assert client.get("/opendata/oc4ids.json").headers["ETag"] != etag
    app.config["OC4IDS_PREFIX"] = "oc4ids-pptrak"
    assert client.get("/opendata/oc4ids.json").headers["ETag"] == etag
    app.config["OPENDATA_PROJECTS_PER_BATCH"] = 1  # reads differently, same bytes
    assert client.get("/opendata/oc4ids.json").headers["ETag"] == etag


def test_each_export_has_its_own_etag(client, make_project):
    make_project("open-road", published=True)
    tags = {client.get(url).headers["ETag"] for url in _urls("open-road")[1:]}
    assert len(tags) == len(_urls("open-road")) - 1


# --- statements ---------------------------------------------------------------------------


def _bulk_projects(app, n: int, *, start: int = 0) -> None:
    """Add ``n`` published projects, each with an authority, straight through the models."""
    with app.app_context():
        for i in range(start, start + n):
            authority = Party(name=f"Bulk authority {i}", roles=["publicAuthority"])
            db.session.add(authority)
            db.session.flush()
            db.session.add(
                Project(
                    code=f"bulk-{i:04d}",
                    title=f"Bulk project {i} " + "x" * 150,
                    description="A project added in bulk. " * 20,
                    sector="transport.road",
                    type="construction",
                    status="implementation",
                    ppp_model="BOT",
                    currency="EUR",
                    budget_amount=Decimal("1000000.00"),
                    public_authority_id=authority.id,
                    published=True,
                )
            )
        db.session.commit()


def _statements(app, client, url) -> int:
    def get():
        response = client.get(url)
        assert response.status_code == 200, url
        return response

    return count_statements(app, get)[0]


def test_the_page_and_a_project_package_cost_the_same_whatever_the_data(
    app, client, make_project, make_party
):
    make_project("bare", published=True, budget_amount=None)
    small = {
        url: _statements(app, client, url) for url in ("/opendata/", "/projects/bare/oc4ids.json")
    }
    build_rich_project(app, make_project, make_party)
    _bulk_projects(app, 60)
    assert _statements(app, client, "/opendata/") == small["/opendata/"]
    assert (
        _statements(app, client, "/projects/bare/oc4ids.json")
        == small["/projects/bare/oc4ids.json"]
    )
    # The richest project costs what the barest one does.
    assert (
        _statements(app, client, "/projects/harbour-tunnel/oc4ids.json")
        == small["/projects/bare/oc4ids.json"]
    )
    assert small["/projects/bare/oc4ids.json"] <= 10


def test_the_full_package_does_not_read_project_by_project(app, client, make_project):
    make_project("first", published=True)
    one = _statements(app, client, "/opendata/oc4ids.json")
    _bulk_projects(app, 60)
    assert _statements(app, client, "/opendata/oc4ids.json") == one  # one batch either way
    app.config["OPENDATA_PROJECTS_PER_BATCH"] = 10
    batched = _statements(app, client, "/opendata/oc4ids.json")
    # 61 projects in 7 batches: a few statements per batch, none per project.
    assert one < batched <= 1 + 8 * 9


@pytest.mark.parametrize("name", sorted(TABLES))
def test_a_table_costs_the_same_whatever_its_size(
    app, client, make_project, make_party, make_contract, name
):
    make_project("first", published=True)
    make_contract("first")  # the contracts' parties and amendments: one read per fetch
    small = _statements(app, client, f"/opendata/{name}.csv")
    build_rich_project(app, make_project, make_party)
    _bulk_projects(app, 30)
    assert _statements(app, client, f"/opendata/{name}.csv") == small


# --- streaming ----------------------------------------------------------------------------


def test_the_full_package_is_streamed_a_batch_at_a_time(app, client, monkeypatch):
    _bulk_projects(app, 30)
    app.config["OPENDATA_PROJECTS_PER_BATCH"] = 5
    monkeypatch.setattr(jsonout, "FLUSH_AT", 1)  # send each project as soon as it is written
    statements = []

    def listener(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/opendata/oc4ids.json", buffered=False)
        assert response.is_streamed
        chunks = iter(response.response)
        first = next(chunks)
        read_before_first = len(statements)
        rest = b"".join(chunks)
        response.close()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    first = first.decode() if isinstance(first, bytes) else first
    assert first.count('"id":"oc4ids-pptrak-') == 1
    # The first project went out after the first batch was read, not all six.
    assert read_before_first < len(statements)
    assert read_before_first <= 1 + 9
    package = json.loads(first + rest.decode())
    assert len(package["projects"]) == 30


def _held_memory(app, client) -> tuple[int, int]:
    """Stream the full package; return the most memory held between two chunks, and its size.

    Garbage is collected at each chunk: what is counted is what the stream
    keeps, not what the collector has yet to free.
    """
    # The rows are bulk-inserted without moving the data version: drop the
    # copy an earlier run kept, so the package is built again.
    with app.app_context():
        for kept in (cache.folder() / "opendata").glob("*"):
            kept.unlink()
    gc.collect()
    tracemalloc.start()
    held = size = 0
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        response = client.get("/opendata/oc4ids.json", buffered=False)
        for chunk in response.response:
            size += len(chunk)
            gc.collect()
            held = max(held, tracemalloc.get_traced_memory()[0] - baseline)
        response.close()
    finally:
        tracemalloc.stop()
    return held, size


def test_the_full_package_holds_the_same_memory_for_50_or_250_projects(app, client):
    app.config["OPENDATA_PROJECTS_PER_BATCH"] = 25
    _bulk_projects(app, 50)
    _held_memory(app, client)  # the first run fills SQLAlchemy's statement caches
    small_held, small_size = _held_memory(app, client)
    _bulk_projects(app, 200, start=50)
    large_held, large_size = _held_memory(app, client)
    assert large_size > 4.5 * small_size
    # Five times the data, not much more memory: one batch at a time.
    assert large_held < 2 * small_held
    # Read in one batch, the same package holds much more: batching is what bounds it.
    app.config["OPENDATA_PROJECTS_PER_BATCH"] = 250
    whole_held, whole_size = _held_memory(app, client)
    assert whole_size == large_size
    assert large_held < whole_held / 2


def test_a_full_export_is_kept_and_sent_again_as_a_file(app, client, make_project):
    make_project("open-road", published=True)
    first = client.get("/opendata/oc4ids.json")
    body = first.get_data()
    assert first.status_code == 200

    def again():
        response = client.get("/opendata/oc4ids.json")
        assert response.status_code == 200
        return response

    [statements, response] = count_statements(app, again)
    assert statements == 1  # the data version; the rest is the kept file
    assert response.get_data() == body and response.headers["ETag"] == first.headers["ETag"]

    make_project("new-road", published=True)  # the data change: a new version
    fresh = client.get("/opendata/oc4ids.json")
    assert b"new-road" in fresh.get_data() and fresh.headers["ETag"] != first.headers["ETag"]
    with app.app_context():
        kept = list((cache.folder() / "opendata").glob("oc4ids.*"))
    assert len(kept) == 1  # the older version is gone


def test_an_export_left_half_read_is_not_kept(app, client, make_project):
    make_project("open-road", published=True)
    response = client.get("/opendata/projects.csv", buffered=False)
    next(iter(response.response))
    response.close()
    with app.app_context():
        assert list((cache.folder() / "opendata").glob("*")) == []
    assert b"open-road" in client.get("/opendata/projects.csv").get_data()
    with app.app_context():
        assert len(list((cache.folder() / "opendata").glob("projects.csv.*"))) == 1
