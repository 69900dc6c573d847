"""User journeys through the real app in Chromium, each page checked with axe-core.

The live server holds the demo portfolio (see ``pptracker.demo.data``);
tests that create data use unique project codes, so they run in any order
and on any xdist worker.
"""

import re
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

AXE = Axe()

ADMIN = ("admin@example.org", "Ada Admin", "admin")
MANAGER = ("manager@example.org", "Mariam Manager", "manager")
AUDITOR = ("auditor@example.org", "Aurelio Auditor", "auditor")

#: A published demo project that manager@example.org manages.
DEMO_CODE, DEMO_TITLE = "coastal-toll-road", "Coastal Expressway Toll Road"


# --- helpers ---------------------------------------------------------------


def _describe(violation: dict) -> str:
    targets = "; ".join(", ".join(map(str, node["target"])) for node in violation["nodes"])
    return (
        f"- {violation['id']} ({violation.get('impact') or 'n/a'}): {violation['help']}\n"
        f"    on: {targets}"
    )


def assert_accessible(page: Page) -> None:
    """Fail listing every axe-core violation on the page as it stands now."""
    page.wait_for_load_state("load")
    violations = AXE.run(page).response["violations"]
    assert not violations, (
        f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
        + "\n".join(_describe(v) for v in violations)
    )


def goto(page: Page, path: str) -> None:
    """Open ``path`` on the live server and check the page's accessibility."""
    page.goto(path)
    assert_accessible(page)


def unique_code(prefix: str = "bt") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the form; lands on the project list."""
    goto(page, "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/projects/$"))
    expect(page.get_by_role("heading", level=1, name="Projects")).to_be_visible()
    assert_accessible(page)


def fill_project_form(page: Page, *, code: str, title: str, start: str, end: str) -> None:
    """Fill every field the new-project journey needs."""
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Sector").select_option("transport.road")
    page.get_by_label("Project type").select_option("construction")
    page.get_by_label("Status", exact=True).select_option("preparation")
    page.get_by_label("PPP model").select_option("BOT")
    authority = page.get_by_label("Public authority")
    authority.select_option(index=1)  # the first real party, after "Choose a party"
    expect(authority).not_to_have_value("0")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Budget", exact=True).fill("1250000.50")
    page.get_by_label("Planned start").fill(start)
    page.get_by_label("Planned end").fill(end)


# --- journeys --------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "name", "role"), [ADMIN, MANAGER, AUDITOR], ids=["admin", "manager", "auditor"]
)
def test_sign_in_and_out_by_role(page: Page, demo_password, email, name, role):
    sign_in(page, email, demo_password)
    header = page.get_by_role("banner")
    expect(header).to_contain_text(name)
    expect(header).to_contain_text(role)
    expect(page.get_by_role("status")).to_contain_text(f"Signed in as {name}.")
    # The demo portfolio is listed (every role sees this published project).
    expect(page.get_by_role("link", name=DEMO_TITLE)).to_be_visible()

    header.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header).not_to_contain_text(name)
    expect(header.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)

    # Signed out for real: the project list asks to sign in again.
    page.goto("/manage/projects/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    assert_accessible(page)


def test_wrong_password_shows_error(page: Page):
    goto(page, "/login")
    page.get_by_label("Email").fill(MANAGER[0])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Wrong email or password")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Email")).to_have_value(MANAGER[0])
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)


def test_manager_creates_and_edits_project(page: Page, demo_password):
    code = unique_code("new")
    title = f"Harbour Tunnel {code}"
    sign_in(page, MANAGER[0], demo_password)

    page.get_by_role("link", name="New project").click()
    expect(page).to_have_url(re.compile(r"/manage/projects/new$"))
    expect(page.get_by_role("heading", level=1, name="New project")).to_be_visible()
    assert_accessible(page)

    fill_project_form(page, code=code, title=title, start="2027-01-01", end="2055-12-31")
    page.get_by_role("button", name="Save project").click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{code}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status")).to_contain_text(f"Project {code} created.")
    # The creating manager is assigned, so may edit it.
    expect(page.get_by_role("region", name="Managers")).to_contain_text(MANAGER[1])
    assert_accessible(page)

    page.get_by_role("link", name="Edit project", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{code}/edit$"))
    expect(page.get_by_role("heading", level=1, name="Edit project")).to_be_visible()
    title_input = page.get_by_label("Title", exact=True)
    expect(title_input).to_have_value(title)
    assert_accessible(page)

    new_title = f"Harbour Tunnel (revised) {code}"
    title_input.fill(new_title)
    page.get_by_role("button", name="Save project").click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{code}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(new_title)
    expect(page.get_by_role("status")).to_contain_text(f"Project {code} saved.")
    assert_accessible(page)


def test_new_project_validation_errors(page: Page, demo_password):
    code = unique_code("bad")
    sign_in(page, MANAGER[0], demo_password)
    goto(page, "/manage/projects/new")

    fill_project_form(page, code=code, title="", start="2030-06-01", end="2029-06-01")
    page.get_by_role("button", name="Save project").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(r"^Title: "))).to_have_attribute(
        "href", "#title"
    )
    expect(summary.get_by_role("link", name=re.compile(r"^Planned end: "))).to_be_visible()

    # Each error sits beside its field and is its accessible description.
    title_input = page.get_by_label("Title", exact=True)
    expect(title_input).to_have_attribute("aria-invalid", "true")
    expect(title_input).to_have_accessible_description(re.compile("This field is required"))
    end_input = page.get_by_label("Planned end")
    expect(end_input).to_have_attribute("aria-invalid", "true")
    expect(end_input).to_have_accessible_description(
        "The planned end cannot be before the planned start."
    )
    expect(page.locator("#planned_end-error")).to_be_visible()

    # What the user typed is kept.
    expect(page.get_by_label("Code", exact=True)).to_have_value(code)
    expect(page.get_by_label("Sector")).to_have_value("transport.road")
    expect(page.get_by_label("Planned start")).to_have_value("2030-06-01")
    expect(page.get_by_label("Planned end")).to_have_value("2029-06-01")
    assert_accessible(page)

    # Following the summary link moves focus to the field.
    summary.get_by_role("link", name=re.compile(r"^Title: ")).click()
    expect(title_input).to_be_focused()

    # Nothing was created.
    goto(page, "/manage/projects/")
    page.get_by_label("Search title, code or party").fill(code)
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"\?q={code}"))
    expect(page.get_by_text("No project matches.")).to_be_visible()
    assert_accessible(page)


def test_admin_sees_users_and_project_controls(page: Page, demo_password):
    sign_in(page, ADMIN[0], demo_password)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(re.compile(r"/admin/users/$"))
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    users = page.get_by_role("table")
    for email, name, _role in (ADMIN, MANAGER, AUDITOR):
        expect(users.get_by_role("row", name=re.compile(re.escape(email)))).to_contain_text(name)
    assert_accessible(page)

    goto(page, "/manage/projects/")
    page.get_by_role("link", name=DEMO_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{DEMO_CODE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    expect(page.get_by_role("button", name=re.compile(r"^(Publish|Unpublish)$"))).to_be_visible()
    expect(page.get_by_role("link", name="Edit project", exact=True)).to_be_visible()
    managers = page.get_by_role("region", name="Managers")
    expect(managers.get_by_label("Managers")).to_be_visible()
    expect(managers.get_by_role("button", name="Save managers")).to_be_visible()
    assert_accessible(page)


def test_auditor_reads_but_cannot_change(page: Page, demo_password):
    sign_in(page, AUDITOR[0], demo_password)
    expect(page.get_by_role("link", name="New project")).to_have_count(0)

    page.get_by_role("link", name=DEMO_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{DEMO_CODE}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    expect(page.get_by_role("link", name="Edit project", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^(Publish|Unpublish)$"))).to_have_count(0)
    expect(page.get_by_role("button", name="Save managers")).to_have_count(0)
    assert_accessible(page)


def test_skip_link_is_first_and_moves_to_main(page: Page):
    goto(page, "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown on focus, not left off-screen
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()
    assert_accessible(page)


def test_assert_accessible_reports_violations(page: Page):
    """The axe check really runs under the app's CSP and names what it finds."""
    goto(page, "/")
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.id = 'no-alt';
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(img);
    }""")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page)
    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "#no-alt" in message
