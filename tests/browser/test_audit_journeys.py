"""Auditors and managers in the audit pages, in Chromium, each page checked with axe-core."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import (
    AUDITOR,
    DEMO_CODE,
    DEMO_TITLE,
    MANAGER,
    assert_accessible,
    goto,
    sign_in,
)

pytestmark = pytest.mark.browser


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_auditor_reads_filters_and_verifies_the_log(page: Page, demo_password):
    sign_in(page, AUDITOR[0], demo_password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Project code").fill(DEMO_CODE)
    page.get_by_label("Record type").select_option("Project")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text(f"Created Project {DEMO_CODE}")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=re.compile(r"^\d+$")).first.click()
    expect(
        page.get_by_role("heading", level=1, name=re.compile(r"Audit event \d+"))
    ).to_be_visible()
    expect(page.get_by_text("Previous hash")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Chain status").click()
    assert_accessible(page)
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_text(re.compile(r"Verification: OK \d+ [0-9a-f]{64}"))).to_be_visible()
    expect(page.get_by_text("intact")).to_be_visible()
    assert_accessible(page)


def test_finding_raised_answered_and_closed(page: Page, demo_password):
    title = f"Unreconciled payment {uuid.uuid4().hex[:6]}"
    sign_in(page, AUDITOR[0], demo_password)
    goto(page, f"/manage/projects/{DEMO_CODE}")
    page.get_by_role("link", name="Raise a finding").click()
    assert_accessible(page)
    page.get_by_role("button", name="Raise finding").click()  # empty: errors first
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill(title)
    page.get_by_label("What was found").fill("Payment 2024-031 has no invoice on file.")
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Raise finding").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    finding_url = page.url
    assert_accessible(page)
    sign_out(page)

    sign_in(page, MANAGER[0], demo_password)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Findings").click()
    assert_accessible(page)
    page.get_by_role("link", name=title).click()
    page.get_by_role("textbox", name="Answer").fill(
        "The invoice was filed late; it is now attached."
    )
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Answer saved.")).to_be_visible()
    expect(page.locator("strong", has_text="Answered")).to_be_visible()
    assert_accessible(page)
    goto(page, f"/manage/projects/{DEMO_CODE}/history")
    expect(page.get_by_role("heading", level=2, name="History")).to_be_visible()
    expect(page.get_by_text(title).first).to_be_visible()
    sign_out(page)

    sign_in(page, AUDITOR[0], demo_password)
    goto(page, finding_url)
    page.get_by_label("Note").fill("Invoice checked.")
    page.get_by_role("button", name="Close finding").click()
    expect(page.get_by_text("Finding closed.")).to_be_visible()
    expect(page.get_by_role("button", name="Reopen finding")).to_be_visible()
    assert_accessible(page)
    goto(page, f"/manage/projects/{DEMO_CODE}/findings")
    expect(page.get_by_role("heading", level=1, name=DEMO_TITLE)).to_be_visible()
