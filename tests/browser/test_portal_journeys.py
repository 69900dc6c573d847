"""The public site in the browser: a member of the public finds a project, takes its report
and its OC4IDS data, and sends feedback that a moderator publishes and a manager answers.
Every page visited is checked with axe-core."""

import io
import json
import uuid

import pypdf
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import (
    ADMIN,
    DEMO_CODE,
    DEMO_TITLE,
    MANAGER,
    assert_accessible,
    goto,
    sign_in,
)

pytestmark = pytest.mark.browser


def test_the_public_finds_a_project_and_takes_its_report_and_data(page: Page):
    goto(page, "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    assert_accessible(page)

    # By keyboard: type in the search box and press Enter.
    search = page.get_by_label("Search title, code or location")
    search.fill("coastal")
    search.press("Enter")
    page.wait_for_url("**/projects/?q=coastal*")
    assert_accessible(page)
    results = page.get_by_role("table")
    expect(results).to_contain_text(DEMO_TITLE)
    expect(page.get_by_role("heading", name="1 project found")).to_be_visible()

    results.get_by_role("link", name=DEMO_TITLE).click()
    page.wait_for_url(f"**/projects/{DEMO_CODE}")
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_TITLE)
    for section in (
        "Key facts",
        "Contracts",
        "Milestones",
        "Budget against actual",
        "Operating performance and tariffs",
        "Disclosure score",
        "Feedback from the public",
    ):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()

    report = page.request.get(
        page.get_by_role("link", name="Transparency report (PDF)").get_attribute("href")
    )
    assert report.status == 200 and report.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report.body())).pages).split()
    )
    assert DEMO_TITLE in text

    data = page.request.get(
        page.get_by_role("link", name="Open data (OC4IDS JSON)").get_attribute("href")
    )
    assert data.status == 200
    package = json.loads(data.body())
    [project] = package["projects"]
    assert project["id"].endswith(f"-{DEMO_CODE}") and project["title"] == DEMO_TITLE

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Open data").click()
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_feedback_is_sent_moderated_published_and_answered(page: Page, demo_password):
    message = f"The noise barrier near exit 4 is unfinished ({uuid.uuid4().hex[:8]})."
    reply = f"The barrier is scheduled for completion next month ({uuid.uuid4().hex[:8]})."

    goto(page, f"/projects/{DEMO_CODE}")
    form = page.locator("#feedback form")
    form.get_by_label("Topic").select_option(label="Quality of works or service")
    form.get_by_label("Your message").fill(message)
    form.get_by_label("Your name (optional)").fill("Maria P.")
    form.get_by_label("Your email address (optional)").fill("maria@example.net")
    form.get_by_role("button", name="Send feedback").click()
    assert_accessible(page)
    expect(page.get_by_role("status")).to_contain_text("your message was received")

    # Not public until a moderator publishes it.
    goto(page, f"/projects/{DEMO_CODE}")
    expect(page.locator("#feedback")).not_to_contain_text(message)

    sign_in(page, ADMIN[0], demo_password)
    goto(page, "/manage/feedback/")
    row = page.get_by_role("row").filter(has_text=message[:40])
    row.get_by_role("link").first.click()
    assert_accessible(page)
    expect(page.get_by_text("maria@example.net")).to_be_visible()  # staff may write back
    page.get_by_role("button", name="Publish", exact=True).click()
    assert_accessible(page)
    expect(page.get_by_role("status")).to_contain_text("ublished")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, MANAGER[0], demo_password)
    goto(page, "/manage/feedback/?status=published")
    page.get_by_role("row").filter(has_text=message[:40]).get_by_role("link").first.click()
    assert_accessible(page)
    page.get_by_label("Reply", exact=True).fill(reply)
    page.get_by_role("button", name="Publish reply").click()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    goto(page, f"/projects/{DEMO_CODE}")
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text(message)
    expect(feedback).to_contain_text("Maria P.")
    expect(feedback).to_contain_text(reply)
    expect(feedback).not_to_contain_text("maria@example.net")
