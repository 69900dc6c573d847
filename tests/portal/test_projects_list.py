"""The public project list at ``/projects/``: search, filters, sorting, pages, bad input."""

import re
from datetime import date
from decimal import Decimal as D
from html import unescape

import pytest

from pptracker.auth.models import Role
from tests.portal.conftest import table, tables, text

CAPTION = ("Published projects", "Projects matching")
ROW_TITLE = re.compile(r'<th scope="row" class="fw-normal"><a href="/projects/[^"]+">([^<]+)</a>')


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def _titles(client, url="/projects/") -> list[str]:
    """The titles of the listed projects, in order (each row's link)."""
    return [unescape(t) for t in ROW_TITLE.findall(_page(client, url))]


def _rows(client, url="/projects/") -> dict[str, list[str]]:
    """The rows of the list by project title: every cell's text."""
    html = _page(client, url)
    rows = [t for t in tables(html) if t["caption"].startswith(CAPTION)][0]["rows"][1:]
    return dict(zip([unescape(t) for t in ROW_TITLE.findall(html)], rows, strict=True))


@pytest.fixture
def three(published, make_party):
    """Three published projects and one draft, each different in every filter."""
    ministry = make_party("Ministry of Roads")
    council = make_party("City Council")
    published(
        "p-road", title="Coastal Road", location="Aveiro", sector="transport.road",
        status="implementation", ppp_model="BOT", public_authority_id=ministry.id,
        budget_amount=D("300.00"), planned_end=date(2040, 1, 1),
    )  # fmt: skip
    published(
        "p-rail", title="Metro Line", location="Valencia", sector="transport.rail",
        status="maintenance", ppp_model="DBFO", public_authority_id=council.id,
        budget_amount=D("100.00"), planned_end=date(2030, 1, 1),
    )  # fmt: skip
    published(
        "p-clinic", title="Hospital Wing", location="Northgate", sector="health",
        status="implementation", ppp_model="availabilityPayment",
        public_authority_id=council.id, budget_amount=None, planned_end=None,
    )  # fmt: skip
    return ministry, council


def test_the_list_shows_published_projects_only(client, three, make_project):
    from tests.portal.test_home import _delete

    make_project("draft", title="Secret Tunnel")
    _delete(client, make_project("gone", title="Gone Bridge", published=True))
    page = client.get("/projects/").get_data(as_text=True)
    assert "3 projects published" in text(page)
    assert "Secret Tunnel" not in page and "Gone Bridge" not in page
    assert _titles(client) == ["Coastal Road", "Hospital Wing", "Metro Line"]
    assert 'href="/projects/p-road"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=metro", ["Metro Line"]),
        ("q=HOSPITAL", ["Hospital Wing"]),
        ("q=p-rail", ["Metro Line"]),
        ("q=aveiro", ["Coastal Road"]),  # the location
        ("q=%25", []),  # a LIKE wildcard is searched for as it is
        ("sector=transport", ["Coastal Road", "Metro Line"]),  # a family finds its sub-sectors
        ("sector=transport.rail", ["Metro Line"]),
        ("status=implementation", ["Coastal Road", "Hospital Wing"]),
        ("ppp_model=DBFO", ["Metro Line"]),
        ("status=implementation&sector=health", ["Hospital Wing"]),
    ],
)
def test_search_and_filters(client, three, query, expected):
    assert _titles(client, f"/projects/?{query}") == expected


def test_filter_by_public_authority(client, three):
    ministry, council = three
    assert _titles(client, f"/projects/?authority={council.id}") == [
        "Hospital Wing",
        "Metro Line",
    ]
    page = client.get("/projects/").get_data(as_text=True)
    assert f'<option value="{ministry.id}" >Ministry of Roads</option>' in page


def test_authorities_of_unpublished_projects_are_not_offered(
    client, three, make_project, make_party
):
    hidden = make_party("Secret Agency")
    make_project("draft", public_authority_id=hidden.id)
    page = client.get("/projects/").get_data(as_text=True)
    assert "Secret Agency" not in page
    response = client.get(f"/projects/?authority={hidden.id}")
    assert response.status_code == 400
    assert "Secret Agency" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=title&dir=desc", ["Metro Line", "Hospital Wing", "Coastal Road"]),
        ("sort=budget", ["Metro Line", "Coastal Road", "Hospital Wing"]),  # no budget: last
        ("sort=budget&dir=desc", ["Coastal Road", "Metro Line", "Hospital Wing"]),
        ("sort=end", ["Metro Line", "Coastal Road", "Hospital Wing"]),
        ("sort=end&dir=desc", ["Coastal Road", "Metro Line", "Hospital Wing"]),
        ("sort=code", ["Hospital Wing", "Metro Line", "Coastal Road"]),
    ],
)
def test_sorting(client, three, query, expected):
    assert _titles(client, f"/projects/?{query}") == expected


def test_sort_by_date_published(client, published, app):
    from pptracker.extensions import db
    from pptracker.projects.models import Project

    for n, day in ((1, 5), (2, 1), (3, 9)):
        project = published(f"p-{n}", title=f"Project {n}")
        with app.app_context():
            row = db.session.get(Project, project.id)
            row.published_at = row.published_at.replace(year=2024, month=1, day=day)
            db.session.commit()
    assert _titles(client, "/projects/?sort=published&dir=desc") == [
        "Project 3",
        "Project 1",
        "Project 2",
    ]


def test_pages_keep_the_filters(client, app, published):
    app.config["PROJECTS_PER_PAGE"] = 2
    for n in range(5):
        published(f"h-{n}", title=f"Health {n}", sector="health")
    published("road", title="Road", sector="transport.road")
    html = client.get("/projects/?sector=health&sort=title&dir=desc").get_data(as_text=True)
    assert "5 projects found" in text(html)
    assert "page 1 of 3" in text(html)
    assert 'href="/projects/?page=2&amp;sector=health&amp;dir=desc"' in html
    second = _titles(client, "/projects/?page=2&sector=health&dir=desc")
    assert second == ["Health 2", "Health 1"]
    last = _titles(client, "/projects/?page=3&sector=health&dir=desc")
    assert last == ["Health 0"]
    # The form shows the filters in force.
    assert '<option value="health" selected>' in html


def test_rows_show_progress_slippage_execution_and_disclosure(
    client, published, make_milestone, make_budget_line, make_transaction
):
    published("p", title="Harbour Bridge")
    make_milestone("p", title="A", baseline_date=date(2024, 1, 1),
                   forecast_date=date(2024, 1, 13), percent_complete=50, weight=1)  # fmt: skip
    make_milestone("p", title="B", baseline_date=date(2024, 3, 1), percent_complete=100,
                   actual_date=date(2024, 3, 1), status="met", weight=3)  # fmt: skip
    make_budget_line("p", planned="400.00")
    make_transaction("p", amount="100.00")
    published("q", title="Quiet Project")
    rows = _rows(client)
    bridge = rows["Harbour Bridge"]
    header = table(client.get("/projects/").get_data(as_text=True), CAPTION[0])[0]
    assert header == [
        "Project", "Sector", "Status", "Public authority", "Complete", "Slippage", "Executed",
        "Disclosure",
    ]  # fmt: skip
    assert bridge[1:7] == [
        "Road transport", "Implementation", bridge[3], "87.5 %", "12 days late", "25.0 %",
    ]  # fmt: skip
    assert "disclosed" in bridge[7] and "%" in bridge[7]
    quiet = rows["Quiet Project"]
    assert quiet[4:7] == ["–", "not measured", "–"]


def test_an_empty_result_says_so(client, three):
    page = text(client.get("/projects/?q=nothing-like-this").get_data(as_text=True))
    assert "No published project matches the search and filters." in page


def test_an_empty_site_says_nothing_is_published(client):
    page = text(client.get("/projects/").get_data(as_text=True))
    assert "No project has been published yet." in page


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("sort=secret_column", "cannot be sorted by 'secret_column'"),
        ("dir=sideways", "The order 'sideways' is unknown"),
        ("page=0", "is not a page number"),
        ("page=-1", "is not a page number"),
        ("page=two", "is not a page number"),
        ("page=99999999999999999999", "is not a page number"),
        ("page=5", "There is no page 5: the list has 1 page."),
        ("sector=moon", "There is no sector 'moon'"),
        ("status=dreaming", "There is no status 'dreaming'"),
        ("ppp_model=XYZ", "There is no PPP model 'XYZ'"),
        ("authority=abc", "There is no public authority 'abc'"),
        ("authority=999999", "There is no public authority '999999'"),
        ("q=" + "x" * 201, "The search text is too long"),
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, three, query, reason):
    response = client.get(f"/projects/?{query}")
    assert response.status_code == 400
    page = text(response.get_data(as_text=True))
    assert reason in page
    assert "Start again with every project" in page


def test_a_page_past_the_end_of_an_empty_list_is_a_400(client):
    assert client.get("/projects/").status_code == 200
    assert client.get("/projects/?page=1").status_code == 200
    assert client.get("/projects/?page=2").status_code == 400


def test_the_form_is_labelled_and_works_without_javascript(client, three):
    html = client.get("/projects/").get_data(as_text=True)
    assert '<form method="get" action="/projects/"' in html
    for name in ("q", "sector", "status", "ppp_model", "authority", "sort", "dir"):
        assert f'<label class="form-label" for="{name}">' in html
        assert f'id="{name}" name="{name}"' in html
    assert "<script" not in html


def test_the_list_links_to_its_open_data(client):
    html = client.get("/projects/").get_data(as_text=True)
    for href in ("/opendata/projects.csv", "/opendata/oc4ids.json", "/opendata/"):
        assert f'href="{href}"' in html


def test_staff_see_the_public_list(client, auth, three, make_project):
    make_project("draft", title="Secret Tunnel")
    auth.login_as(Role.AUDITOR)
    page = client.get("/projects/").get_data(as_text=True)
    assert "Secret Tunnel" not in page and "Coastal Road" in page
