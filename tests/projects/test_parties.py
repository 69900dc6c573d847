"""Parties: register, edit, search, delete when unused."""

import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.projects.models import Party


def _party(app, party_id):
    with app.app_context():
        return db.session.get(Party, party_id)


def test_manager_registers_a_party(client, auth, app):
    auth.login_as(Role.MANAGER)
    response = client.post(
        "/manage/parties/new",
        data={
            "name": "Αιολικό Πάρκο Α.Ε.",
            "roles": ["privateParty", "supplier"],
            "country": "GR",
            "identifier_scheme": "GR-GEMI",
            "identifier_id": "123456",
            "url": "https://example.org",
            "contact_email": "info@example.org",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        party = db.session.scalar(sa.select(Party))
        assert party.name == "Αιολικό Πάρκο Α.Ε."
        assert party.roles == ["privateParty", "supplier"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Αιολικό Πάρκο Α.Ε." in page and "Private party (SPV)" in page and "Greece" in page


def test_bad_party_input_saves_nothing(client, auth, app):
    auth.login_as(Role.MANAGER)
    for data, message in [
        ({"name": ""}, "This field is required."),
        ({"name": "X", "roles": ["emperor"]}, "is not a valid choice"),
        ({"name": "X", "country": "ZZ"}, "Not a valid choice"),
        ({"name": "X", "identifier_scheme": "GB-COH"}, "both the identifier scheme"),
        ({"name": "X", "url": "javascript:alert(1)"}, "http:// or https://"),
        ({"name": "X", "contact_email": "nope"}, "Invalid email address"),
    ]:
        response = client.post("/manage/parties/new", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Party)) == 0


def test_search_by_name_and_role(client, auth, make_party):
    auth.login_as(Role.AUDITOR)
    make_party("Harbour Authority", roles=["publicAuthority"])
    make_party("Bridge Builders SPV", roles=["privateParty"])
    by_name = client.get("/manage/parties/?q=harbour").get_data(as_text=True)
    assert "Harbour Authority" in by_name and "Bridge Builders" not in by_name
    by_role = client.get("/manage/parties/?role=privateParty").get_data(as_text=True)
    assert "Bridge Builders" in by_role and "Harbour Authority" not in by_role


def test_party_in_use_cannot_be_deleted(client, auth, make_project, make_party, app):
    auth.login_as(Role.ADMIN)
    authority = make_party("Harbour Authority")
    make_project(public_authority_id=authority.id)
    response = client.post(f"/manage/parties/{authority.id}/delete", follow_redirects=True)
    assert "still a party to 1 project" in response.get_data(as_text=True)
    assert not _party(app, authority.id).is_deleted
    unused = make_party("Nobody's Party")
    client.post(f"/manage/parties/{unused.id}/delete")
    assert _party(app, unused.id).is_deleted
    assert client.get(f"/manage/parties/{unused.id}").status_code == 404


def test_stale_party_edit_is_refused(client, auth, make_party, app):
    auth.login_as(Role.MANAGER)
    party = make_party("Original Name")
    with app.app_context():
        db.session.get(Party, party.id).name = "Renamed Meanwhile"
        db.session.commit()
    response = client.post(
        f"/manage/parties/{party.id}/edit", data={"name": "My Name", "version": party.version}
    )
    assert response.status_code == 409
    assert _party(app, party.id).name == "Renamed Meanwhile"
