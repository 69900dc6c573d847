"""Who may do what: the grant table, and every role × every route."""

import pytest

from pptracker.auth.models import Role
from pptracker.permissions import PUBLIC_GRANTS, ROLE_GRANTS, Action, can

ROLES = ["anonymous", "manager", "auditor", "admin"]


class Anonymous:
    is_authenticated = False
    is_active = False


def test_admin_may_do_everything_but_audit_and_the_public_only_view():
    assert ROLE_GRANTS[Role.ADMIN] == frozenset(Action) - {
        Action.RAISE_FINDING,
        Action.CLOSE_FINDING,
    }
    assert PUBLIC_GRANTS == {Action.VIEW_PROJECT}


@pytest.mark.parametrize("action", list(Action))
def test_auditors_change_no_project_data(action):
    writes = {
        Action.CREATE_PROJECT,
        Action.EDIT_PROJECT,
        Action.DELETE_PROJECT,
        Action.PUBLISH_PROJECT,
        Action.ASSIGN_MANAGERS,
        Action.EDIT_PARTY,
        Action.DELETE_PARTY,
        Action.MANAGE_USERS,
        Action.ANSWER_FINDING,
    }
    assert (action in ROLE_GRANTS[Role.AUDITOR]) is (action not in writes)


def test_only_auditors_raise_and_close_findings():
    for role in Role:
        granted = {Action.RAISE_FINDING, Action.CLOSE_FINDING} <= ROLE_GRANTS[role]
        assert granted is (role == Role.AUDITOR)


def test_inactive_user_has_no_grants(make_user, app):
    user = make_user(Role.ADMIN, active=False)
    assert not can(user, Action.LIST_PROJECTS)


def test_anonymous_sees_only_published_projects(make_project):
    published = make_project(published=True)
    hidden = make_project()
    assert can(Anonymous(), Action.VIEW_PROJECT, published)
    assert not can(Anonymous(), Action.VIEW_PROJECT, hidden)


# (method, url template, expected status for anonymous, manager, auditor, admin).
# "own" is assigned to the signed-in manager; "other" is not, and is unpublished.
MATRIX = [
    ("GET", "/", 200, 200, 200, 200),
    ("GET", "/login", 200, 302, 302, 302),
    ("POST", "/login", 400, 302, 302, 302),
    ("POST", "/logout", 302, 302, 302, 302),
    ("GET", "/manage/projects/", 302, 200, 200, 200),
    ("GET", "/manage/projects/new", 302, 200, 403, 200),
    ("POST", "/manage/projects/new", 302, 400, 403, 400),
    ("GET", "/manage/projects/{own}", 302, 200, 200, 200),
    ("GET", "/manage/projects/{other}", 302, 404, 200, 200),
    ("GET", "/manage/projects/{own}/edit", 302, 200, 403, 200),
    ("POST", "/manage/projects/{own}/edit", 302, 400, 403, 400),
    ("GET", "/manage/projects/{other}/edit", 302, 404, 403, 200),
    ("GET", "/manage/projects/{published}/edit", 302, 403, 403, 200),
    ("GET", "/manage/projects/{own}/delete", 302, 403, 403, 200),
    ("POST", "/manage/projects/{own}/delete", 302, 403, 403, 302),
    ("POST", "/manage/projects/{own}/publication", 302, 403, 403, 302),
    ("POST", "/manage/projects/{own}/managers", 302, 403, 403, 302),
    ("GET", "/manage/parties/", 302, 200, 200, 200),
    ("GET", "/manage/parties/new", 302, 200, 403, 200),
    ("POST", "/manage/parties/new", 302, 400, 403, 400),
    ("GET", "/manage/parties/{party}", 302, 200, 200, 200),
    ("GET", "/manage/parties/{party}/edit", 302, 200, 403, 200),
    ("POST", "/manage/parties/{party}/edit", 302, 400, 403, 400),
    ("POST", "/manage/parties/{party}/delete", 302, 403, 403, 302),
    ("GET", "/admin/users/", 302, 403, 403, 200),
    ("GET", "/admin/users/new", 302, 403, 403, 200),
    ("POST", "/admin/users/new", 302, 403, 403, 400),
    ("GET", "/admin/users/{user}/edit", 302, 403, 403, 200),
    ("POST", "/admin/users/{user}/edit", 302, 403, 403, 400),
    ("GET", "/admin/users/{user}/history", 302, 403, 200, 200),
    ("GET", "/manage/projects/{own}/history", 302, 200, 200, 200),
    ("GET", "/manage/projects/{other}/history", 302, 404, 200, 200),
    ("GET", "/manage/projects/{published}/history", 302, 403, 200, 200),
    ("GET", "/manage/projects/{own}/findings", 302, 200, 200, 200),
    ("GET", "/manage/projects/{published}/findings", 302, 403, 200, 200),
    ("GET", "/manage/parties/{party}/history", 302, 403, 200, 200),
    ("GET", "/audit/", 302, 403, 200, 200),
    ("GET", "/audit/events/1", 302, 403, 200, 200),
    ("GET", "/audit/export.csv", 302, 403, 200, 200),
    ("GET", "/audit/export.json", 302, 403, 200, 200),
    ("GET", "/audit/chain", 302, 403, 200, 200),
    ("POST", "/audit/chain/verify", 302, 403, 302, 302),
    ("GET", "/audit/findings/", 302, 200, 200, 200),
    ("GET", "/audit/findings/new?project={own}", 302, 403, 200, 403),
    ("POST", "/audit/findings/new?project={own}", 302, 403, 400, 403),
    ("GET", "/audit/findings/{finding}", 302, 200, 200, 200),
    ("GET", "/audit/findings/{other_finding}", 302, 404, 200, 200),
    ("POST", "/audit/findings/{finding}/answer", 302, 302, 403, 302),
    ("POST", "/audit/findings/{other_finding}/answer", 302, 404, 403, 302),
    ("POST", "/audit/findings/{finding}/close", 302, 403, 302, 403),
    ("POST", "/audit/findings/{finding}/reopen", 302, 403, 302, 403),
]


@pytest.fixture
def world(auth, make_user, make_project, make_party, make_finding, request):
    """Sign in as the role under test and create the records the URLs name."""
    role = request.param
    user = None if role == "anonymous" else auth.make_user(role)
    managers = [user] if role == "manager" else []
    ids = {
        "own": make_project("own-project", managers=managers).code,
        "other": make_project("other-project").code,
        "published": make_project("published-project", published=True).code,
        "party": make_party("Unused party").id,
        "user": make_user(Role.AUDITOR).id,
    }
    ids["finding"] = make_finding("own-project").id
    ids["other_finding"] = make_finding("other-project").id
    if user is not None:
        assert auth.login(user.email).status_code == 302
    return role, ids


@pytest.mark.parametrize("world", ROLES, indirect=True)
@pytest.mark.parametrize(("method", "url", *ROLES), MATRIX, ids=[f"{m} {u}" for m, u, *_ in MATRIX])
def test_route_permissions(world, client, method, url, anonymous, manager, auditor, admin):
    role, ids = world
    expected = {"anonymous": anonymous, "manager": manager, "auditor": auditor, "admin": admin}[
        role
    ]
    # A non-empty body: Flask-WTF treats an empty POST as "not submitted".
    body = dict.fromkeys(("title", "name", "email", "code"), "")
    response = client.open(url.format(**ids), method=method, data=body)
    response.get_data()  # read streamed bodies to the end, which releases their connection

    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302 and role == "anonymous" and url.startswith(("/manage", "/admin")):
        assert response.headers["Location"].startswith("/login?next=")


def test_matrix_covers_every_route(app):
    adapter = app.url_map.bind("localhost")
    sample = {
        "own": "a",
        "other": "a",
        "published": "a",
        "party": 1,
        "user": 1,
        "finding": 1,
        "other_finding": 1,
    }
    covered = {
        (method, adapter.match(url.format(**sample).split("?")[0], method=method)[0])
        for method, url, *_ in MATRIX
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "bootstrap.static"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, rule.endpoint) in covered, f"{method} {rule.rule} is not in the matrix"
