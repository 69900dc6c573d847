"""The auditor's pages: filters, diffs, pagination, exports, chain status, history."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from pptracker.audit import queries
from pptracker.audit.models import AuditEvent
from pptracker.auth.models import Role
from pptracker.extensions import db


def _events(app, **where):
    with app.app_context():
        stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
        for key, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return db.session.scalars(stmt).all()


@pytest.fixture
def portfolio(make_project, make_party):
    water = make_party("Water Board")
    make_project("water-plant", title="Clear Water Plant", public_authority_id=water.id)
    make_project("toll-road", title="Toll Road")


def test_log_shows_events_with_their_diffs(client, auth, portfolio, app):
    auth.login_as(Role.AUDITOR)
    page = client.get("/audit/").get_data(as_text=True)
    assert "Created Project water-plant" in page
    assert "Water Board" in page  # a party's name in a diff
    assert "events in the chain" in page


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("project=water-plant", "Created Project water-plant", "Created Project toll-road"),
        ("entity_type=Party", "Created Party Water Board", "Created Project toll-road"),
        ("action=sign_in", "signed in", "Created Project"),
        ("q=toll", "Created Project toll-road", "Created Project water-plant"),
        ("actor=system", "Created Project toll-road", "signed in"),
        ("project=no-such-project", "No event matches", "Created Project"),
        ("date_from=2000-01-01&date_to=2000-12-31", "No event matches", "Created Project"),
    ],
)
def test_log_filters(client, auth, portfolio, query, present, absent):
    auth.login_as(Role.AUDITOR)
    page = client.get(f"/audit/?{query}").get_data(as_text=True)
    assert present in page
    assert absent not in page


def test_reversed_date_range_is_reported_not_an_error(client, auth):
    auth.login_as(Role.AUDITOR)
    response = client.get("/audit/?date_from=2026-02-01&date_to=2026-01-01")
    assert response.status_code == 200
    assert "The end of the range is before its start" in response.get_data(as_text=True)
    assert (
        client.get("/audit/export.csv?date_from=2026-02-01&date_to=2026-01-01").status_code == 400
    )


def test_keyset_pages_walk_the_whole_log(client, auth, app, make_party, monkeypatch):
    auth.login_as(Role.AUDITOR)
    for n in range(7):
        make_party(f"Party {n}")
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    seen, url = [], "/audit/?entity_type=Party"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [n for n in range(7) if f"Created Party Party {n}<" in page]
        marker = 'href="/audit/?before='
        url = None
        if marker in page:
            start = page.index(marker) + len('href="')
            url = page[start : page.index('"', start)].replace("&amp;", "&")
    assert sorted(seen) == list(range(7))
    newer = client.get("/audit/?entity_type=Party&after=0").get_data(as_text=True)
    assert "Created Party Party 0<" in newer


def _count_statements(app, client, url):
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_log_page_costs_the_same_whatever_the_log_size(client, auth, make_party, app):
    auth.login_as(Role.AUDITOR)
    for n in range(5):
        make_party(f"Small {n}")
    small = _count_statements(app, client, "/audit/?before=100000")
    for n in range(120):
        make_party(f"Big {n}")
    big = _count_statements(app, client, "/audit/?before=100000")
    assert small == big


def test_csv_and_json_exports_follow_the_filters_and_are_recorded(client, auth, portfolio, app):
    auditor = auth.login_as(Role.AUDITOR)
    response = client.get("/audit/export.csv?project=water-plant")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all(r["project_id"] == rows[0]["project_id"] for r in rows)
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert "hash" in rows[0] and len(rows[0]["hash"]) == 64
    document = client.get("/audit/export.json?entity_type=Party").get_json()
    assert {e["entity_type"] for e in document["events"]} == {"Party"}
    assert "key" not in json.dumps(document).lower().replace("keyed", "")
    exports = _events(app, action="audit.export")
    assert len(exports) == 2
    assert exports[0].actor == auditor.email
    assert exports[0].changes == {"filters": {"project": "water-plant"}}


def test_csv_cells_cannot_run_as_formulas():
    from pptracker.csvutil import stream_csv

    body = "".join(stream_csv(["a", "b", "c"], [['=HYPERLINK("x")', "-12.5", "@SUM(A1)"]]))
    row = list(csv.reader(io.StringIO(body)))[1]
    assert row == ['\'=HYPERLINK("x")', "-12.5", "'@SUM(A1)"]


def test_chain_page_and_verify_now(client, auth, portfolio, app):
    auth.login_as(Role.AUDITOR)
    page = client.get("/audit/chain").get_data(as_text=True)
    assert "Never verified" in page
    response = client.post("/audit/chain/verify", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "Verification: OK" in body and "intact" in body
    verification = _events(app, action="audit.verify")[-1]
    assert verification.changes["ok"] is True


def test_event_page_shows_hashes(client, auth, portfolio, app):
    auth.login_as(Role.AUDITOR)
    first = _events(app)[0]
    page = client.get(f"/audit/events/{first.seq}").get_data(as_text=True)
    assert first.hash in page and first.prev_hash in page
    assert client.get("/audit/events/999999").status_code == 404


def test_project_history_tab(client, auth, make_project, app):
    manager = auth.login_as(Role.MANAGER)
    project = make_project("harbour-bridge", managers=[manager])
    client.post(
        "/manage/projects/harbour-bridge/edit",
        data={
            "code": "harbour-bridge",
            "title": "Harbour Bridge II",
            "sector": "transport.road",
            "type": "construction",
            "status": "implementation",
            "ppp_model": "BOT",
            "public_authority_id": project.public_authority_id,
            "currency": "EUR",
            "budget_amount": "2000000.00",
            "version": project.version,
        },
    )
    page = client.get("/manage/projects/harbour-bridge/history").get_data(as_text=True)
    assert "Updated Project harbour-bridge" in page
    assert "1000000.00" in page and "2000000.00" in page
    assert manager.email in page


def test_party_and_user_history(client, auth, make_party, make_user):
    auth.login_as(Role.ADMIN)
    party = make_party("Harbour Authority")
    user = make_user(Role.MANAGER)
    assert "Created Party Harbour Authority" in client.get(
        f"/manage/parties/{party.id}/history"
    ).get_data(as_text=True)
    assert f"Created User {user.name}" in client.get(f"/admin/users/{user.id}/history").get_data(
        as_text=True
    )
