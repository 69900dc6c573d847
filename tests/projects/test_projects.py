"""The project registry: creating, editing, listing, publishing, deleting."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from pptracker.auth.models import Role
from pptracker.extensions import db
from pptracker.projects.models import Project


def _form(authority_id, **overrides):
    data = {
        "code": "harbour-bridge",
        "title": "Harbour Bridge",
        "sector": "transport.road",
        "type": "construction",
        "status": "preparation",
        "ppp_model": "DBFOM",
        "public_authority_id": str(authority_id),
        "currency": "EUR",
        "budget_amount": "1250000.50",
        "planned_start": "2027-01-01",
        "planned_end": "2055-12-31",
        "location": "Harbour City",
    }
    data.update(overrides)
    return data


def _project(app, code):
    with app.app_context():
        return db.session.scalar(sa.select(Project).where(Project.code == code))


def _count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Project))


def test_manager_creates_a_project_and_is_assigned(client, auth, make_party, app):
    manager = auth.login_as(Role.MANAGER)
    authority = make_party("Harbour Authority")
    response = client.post("/manage/projects/new", data=_form(authority.id))
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/projects/harbour-bridge"
    project = _project(app, "harbour-bridge")
    assert project.budget_amount == Decimal("1250000.50")
    assert project.published is False
    with app.app_context():
        project = db.session.get(Project, project.id)
        assert [m.id for m in project.managers] == [manager.id]
    page = client.get("/manage/projects/harbour-bridge").get_data(as_text=True)
    assert "Harbour Bridge" in page and "1,250,000.50 EUR" in page and "Harbour Authority" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"code": "Bad Code!"}, "code", "lower-case letters, digits and hyphens"),
        ({"sector": "spaceTravel"}, "sector", "Not a valid choice"),
        ({"status": "finished"}, "status", "Not a valid choice"),
        ({"currency": "XYZ"}, "currency", "Not a valid choice"),
        ({"budget_amount": "-5"}, "budget_amount", "at least 0"),
        ({"budget_amount": "lots"}, "budget_amount", "Not a valid decimal value"),
        ({"planned_end": "2026-01-01"}, "planned_end", "cannot be before the planned start"),
        ({"planned_start": "2027-02-30"}, "planned_start", "Not a valid date value"),
        ({"public_authority_id": "0"}, "public_authority_id", "Choose a party"),
        ({"latitude": "95", "longitude": "10"}, "latitude", "between -90 and 90"),
        ({"latitude": "45"}, "longitude", "both latitude and longitude"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_saves_nothing(
    client, auth, make_party, app, overrides, field, message
):
    auth.login_as(Role.ADMIN)
    authority = make_party()
    response = client.post("/manage/projects/new", data=_form(authority.id, **overrides))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in body
    assert f'id="{field}-error"' in body
    assert message in body
    assert 'value="Harbour City"' in body  # what the user typed is kept
    assert _count(app) == 0


def test_duplicate_code_is_refused(client, auth, make_project, make_party, app):
    auth.login_as(Role.ADMIN)
    make_project("harbour-bridge")
    response = client.post("/manage/projects/new", data=_form(make_party().id))
    assert response.status_code == 400
    assert "already used by another project" in response.get_data(as_text=True)
    assert _count(app) == 1


def test_deleted_party_cannot_be_chosen(client, auth, make_party, app):
    auth.login_as(Role.ADMIN)
    party = make_party()
    client.post(f"/manage/parties/{party.id}/delete")
    response = client.post("/manage/projects/new", data=_form(party.id))
    assert response.status_code == 400
    assert _count(app) == 0


def test_manager_edits_own_project(client, auth, make_project, app):
    manager = auth.login_as(Role.MANAGER)
    project = make_project("harbour-bridge", managers=[manager])
    response = client.post(
        "/manage/projects/harbour-bridge/edit",
        data=_form(
            project.public_authority_id, title="Harbour Bridge (phase 1)", version=project.version
        ),
    )
    assert response.status_code == 302
    saved = _project(app, "harbour-bridge")
    assert saved.title == "Harbour Bridge (phase 1)"
    assert saved.version == project.version + 1


def test_stale_edit_is_refused_and_nothing_is_overwritten(client, auth, make_project, app):
    manager = auth.login_as(Role.MANAGER)
    project = make_project("harbour-bridge", managers=[manager])
    with app.app_context():
        db.session.get(Project, project.id).title = "Saved by a colleague"
        db.session.commit()
    response = client.post(
        "/manage/projects/harbour-bridge/edit",
        data=_form(project.public_authority_id, title="My title", version=project.version),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else changed this record" in body
    assert 'value="My title"' in body and "Now saved as: Saved by a colleague" in body
    assert _project(app, "harbour-bridge").title == "Saved by a colleague"
    # Saving again from the refreshed form is a deliberate choice, and works.
    fresh = _project(app, "harbour-bridge")
    again = client.post(
        "/manage/projects/harbour-bridge/edit",
        data=_form(project.public_authority_id, title="My title", version=fresh.version),
    )
    assert again.status_code == 302
    assert _project(app, "harbour-bridge").title == "My title"


def test_concurrent_write_fails_at_flush(app, make_project):
    project = make_project(title="Original")
    with app.app_context():
        mine = db.session.get(Project, project.id)
        # A concurrent writer saved after this session loaded the row.
        db.session.execute(
            sa.update(Project)
            .where(Project.id == project.id)
            .values(title="Theirs", version=project.version + 1),
            execution_options={"synchronize_session": False},
        )
        mine.title = "Mine"
        with pytest.raises(sa.orm.exc.StaleDataError):
            db.session.flush()
        db.session.rollback()


def test_a_lost_race_is_a_conflict_page_not_a_500(app):
    from pptracker.permissions import public

    @app.route("/race")
    @public
    def race():
        raise sa.orm.exc.StaleDataError("UPDATE matched 0 rows")

    response = app.test_client().get("/race")
    assert response.status_code == 409
    assert "Someone else saved this record" in response.get_data(as_text=True)


def test_list_search_filters_sorting_and_pagination(client, auth, make_project, make_party, app):
    auth.login_as(Role.AUDITOR)
    water = make_party("Water Board")
    make_project(
        "water-plant",
        title="Clear Water Plant",
        sector="waterAndWaste",
        public_authority_id=water.id,
        status="maintenance",
        ppp_model="BOOT",
    )
    make_project("toll-road", title="Toll Road", sector="transport.road")
    make_project("rail-link", title="Rail Link", sector="transport.rail", ppp_model="DBFOM")

    def titles(query):
        body = client.get(f"/manage/projects/?{query}").get_data(as_text=True)
        return [t for t in ("Clear Water Plant", "Toll Road", "Rail Link") if t in body]

    assert titles("q=water") == ["Clear Water Plant"]
    assert titles("q=WATER+board") == ["Clear Water Plant"]  # the party's name
    assert titles("q=toll-road") == ["Toll Road"]
    assert titles("sector=transport") == ["Toll Road", "Rail Link"]
    assert titles("status=maintenance") == ["Clear Water Plant"]
    assert titles("ppp_model=DBFOM") == ["Rail Link"]
    assert titles("q=%25") == []  # a wildcard typed by a user is literal
    body = client.get("/manage/projects/?sort=title&dir=desc").get_data(as_text=True)
    assert body.index("Toll Road") < body.index("Rail Link") < body.index("Clear Water Plant")
    app.config["PROJECTS_PER_PAGE"] = 2
    first = client.get("/manage/projects/?sort=title").get_data(as_text=True)
    second = client.get("/manage/projects/?sort=title&page=2").get_data(as_text=True)
    assert "Clear Water Plant" in first and "Toll Road" not in first
    assert "Toll Road" in second and "page 2 of 2" in second
    assert client.get("/manage/projects/?page=99").status_code == 200


def test_manager_sees_assigned_and_published_projects_only(client, auth, make_project):
    manager = auth.login_as(Role.MANAGER)
    make_project("mine", title="My Project", managers=[manager])
    make_project("public", title="Public Project", published=True)
    make_project("hidden", title="Hidden Project")
    body = client.get("/manage/projects/").get_data(as_text=True)
    assert "My Project" in body and "Public Project" in body and "Hidden Project" not in body
    mine_only = client.get("/manage/projects/?mine=1").get_data(as_text=True)
    assert "My Project" in mine_only and "Public Project" not in mine_only


def test_admin_publishes_and_unpublishes(client, auth, make_project, app):
    auth.login_as(Role.ADMIN)
    make_project("harbour-bridge", title="Harbour Bridge")
    assert "Harbour Bridge" not in client.get("/").get_data(as_text=True)
    client.post("/manage/projects/harbour-bridge/publication", data={"publish": "1"})
    project = _project(app, "harbour-bridge")
    assert project.published and project.published_at is not None
    client.post("/logout")
    assert "Harbour Bridge" in client.get("/").get_data(as_text=True)
    auth.login_as(Role.ADMIN)
    client.post("/manage/projects/harbour-bridge/publication", data={"publish": "0"})
    assert not _project(app, "harbour-bridge").published


def test_admin_soft_deletes_a_project(client, auth, make_project, app):
    auth.login_as(Role.ADMIN)
    make_project("harbour-bridge", title="Harbour Bridge", published=True)
    confirm = client.get("/manage/projects/harbour-bridge/delete")
    assert "Delete Harbour Bridge?" in confirm.get_data(as_text=True)
    assert client.post("/manage/projects/harbour-bridge/delete").status_code == 302
    project = _project(app, "harbour-bridge")
    assert project.is_deleted and not project.published and project.deleted_at
    assert client.get("/manage/projects/harbour-bridge").status_code == 404
    assert "Harbour Bridge" not in client.get("/manage/projects/").get_data(as_text=True)
    assert "Harbour Bridge" not in client.get("/").get_data(as_text=True)


def test_admin_assigns_managers(client, auth, make_project, make_user, app):
    auth.login_as(Role.ADMIN)
    first, second = make_user(Role.MANAGER), make_user(Role.MANAGER)
    auditor = make_user(Role.AUDITOR)
    make_project("harbour-bridge", managers=[first])
    client.post("/manage/projects/harbour-bridge/managers", data={"managers": [str(second.id)]})
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.code == "harbour-bridge"))
        assert [m.id for m in project.managers] == [second.id]
    refused = client.post(
        "/manage/projects/harbour-bridge/managers",
        data={"managers": [str(auditor.id)]},
        follow_redirects=True,
    )
    assert "Choose managers from the list" in refused.get_data(as_text=True)
    with app.app_context():
        project = db.session.scalar(sa.select(Project).where(Project.code == "harbour-bridge"))
        assert [m.id for m in project.managers] == [second.id]


def test_unassigned_manager_cannot_edit(client, auth, make_project, app):
    auth.login_as(Role.MANAGER)
    project = make_project("public-one", published=True, title="Untouched")
    response = client.post(
        "/manage/projects/public-one/edit",
        data=_form(
            project.public_authority_id,
            code="public-one",
            title="Hijacked",
            version=project.version,
        ),
    )
    assert response.status_code == 403
    assert _project(app, "public-one").title == "Untouched"


def test_money_round_trips_exactly(app, make_project):
    big = Decimal("9999999999999999.99")
    project = make_project(budget_amount=big)
    assert _project(app, project.code).budget_amount == big
    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.sum(Project.budget_amount)))
        assert total == big


def test_float_money_is_refused(app, make_project):
    with pytest.raises(sa.exc.StatementError, match="never a float"):
        make_project(budget_amount=1.5)


def test_timestamps_are_aware_utc(app, make_project):
    project = make_project()
    saved = _project(app, project.code)
    assert saved.created_at.tzinfo is not None
    assert saved.created_at.utcoffset().total_seconds() == 0
