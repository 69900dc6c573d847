"""Milestones in Chromium: the manager's worklist, a quick update from a phone, the timeline.

Every page is checked with axe-core after each navigation and submit. The live
server holds the demo milestones (``pptracker.demo.milestones``); each test
works on a different demo milestone, so they run in any order and on any xdist
worker (each worker has its own database).
"""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_contract_journeys import pdf_bytes
from tests.browser.test_journeys import MANAGER, assert_accessible, goto, sign_in

pytestmark = pytest.mark.browser

#: A phone, held upright.
PHONE = {"width": 390, "height": 844}

#: Demo milestones of projects manager@example.org manages, overdue since 2026 (their
#: forecast dates have passed and they are not met).
HOSPITAL_CODE, HOSPITAL_TITLE = "northgate-hospital", "Block B handed over"
SOLAR_CODE, SOLAR_TITLE = "sunvale-solar-farm", "Grid connection energised"


# --- helpers ---------------------------------------------------------------


def open_my_milestones(page: Page) -> None:
    """Open the manager's worklist (from the header when it links to it)."""
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name="My milestones")
    if link.count():
        link.click()
        assert_accessible(page)
    else:
        goto(page, "/manage/my-milestones")
    expect(page).to_have_url(re.compile(r"/manage/my-milestones$"))
    expect(page.get_by_role("heading", level=1, name="My milestones")).to_be_visible()


def overdue_section(page: Page):
    return page.get_by_role("region", name=re.compile(r"^Overdue"))


def open_quick_update(page: Page, title: str) -> None:
    """From "My milestones", follow the overdue milestone's Update link."""
    overdue = overdue_section(page)
    expect(overdue.get_by_role("link", name=title, exact=True)).to_be_visible()
    overdue.get_by_role("link", name=f"Update {title}").click()
    expect(page).to_have_url(re.compile(r"/manage/milestones/\d+/update\?next=mine$"))
    expect(page.get_by_role("heading", level=1, name=f"Update: {title}")).to_be_visible()
    assert_accessible(page)


def assert_fits_phone(page: Page) -> None:
    """The page does not scroll sideways and its submit button can be reached."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save = page.get_by_role("button", name="Save progress")
    save.scroll_into_view_if_needed()
    expect(save).to_be_visible()
    expect(save).to_be_in_viewport()
    box = save.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


# --- journeys --------------------------------------------------------------


def test_manager_reports_progress_with_evidence_from_a_phone(page: Page, demo_password):
    page.set_viewport_size(PHONE)
    sign_in(page, MANAGER[0], demo_password)
    open_my_milestones(page)
    expect(overdue_section(page)).to_contain_text("Northgate")
    open_quick_update(page, HOSPITAL_TITLE)
    assert_fits_phone(page)

    # The form starts from the milestone as it stands.
    expect(page.get_by_label("Status", exact=True)).to_have_value("inProgress")
    expect(page.get_by_label("Percent complete")).to_have_value("80")
    expect(page.get_by_label("Note")).to_have_value("")

    marker = uuid.uuid4().hex[:8]
    note = f"Theatres fitted out; commissioning of medical gases next ({marker})."
    evidence_title = f"Site report {marker}"
    pdf = pdf_bytes(f"Block B progress report {marker}")
    page.get_by_label("Percent complete").fill("90")
    page.get_by_label("Forecast date").fill("2027-01-29")
    page.get_by_label("Note").fill(note)
    page.get_by_label("Evidence file (optional)").set_input_files(
        files=[{"name": "block-b-report.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_label("Title of the evidence").fill(evidence_title)
    page.get_by_label("Kind of evidence").select_option(label="Physical progress report")
    assert_fits_phone(page)
    page.get_by_role("button", name="Save progress").click()

    # Back on the worklist: saved, and no longer overdue (the forecast moved on).
    expect(page).to_have_url(re.compile(r"/manage/my-milestones$"))
    expect(page.get_by_role("status")).to_contain_text(f"Progress on “{HOSPITAL_TITLE}” saved.")
    expect(
        overdue_section(page).get_by_role("link", name=HOSPITAL_TITLE, exact=True)
    ).to_have_count(0)
    recent = page.get_by_role("region", name=re.compile(r"^Recently updated"))
    expect(recent.get_by_role("link", name=HOSPITAL_TITLE, exact=True).first).to_be_visible()
    assert_accessible(page)

    # The milestone's page logs the report and lists the evidence.
    recent.get_by_role("link", name=HOSPITAL_TITLE, exact=True).first.click()
    expect(page).to_have_url(re.compile(rf"/projects/{HOSPITAL_CODE}/milestones/\d+$"))
    expect(page.get_by_role("heading", level=1, name=HOSPITAL_TITLE)).to_be_visible()
    assert_accessible(page)
    dates = page.get_by_role("region", name="Dates and progress", exact=True)
    expect(dates).to_contain_text("90 %")
    log = page.get_by_role("region", name="Progress log", exact=True)
    entry = log.get_by_role("row", name=re.compile(re.escape(marker)))
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(note)
    expect(entry).to_contain_text("In progress")
    expect(entry).to_contain_text("90 %")
    # The demo report is kept too: the log holds every report.
    expect(log).to_contain_text("Fit-out of theatres behind plan")

    evidence = page.get_by_role("region", name="Evidence", exact=True)
    link = evidence.get_by_role("link", name=evidence_title)
    expect(link).to_be_visible()
    expect(evidence).to_contain_text("block-b-report.pdf")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "block-b-report.pdf"
    saved = download.path().read_bytes()
    assert saved.startswith(b"%PDF-")
    assert saved == pdf


def test_met_without_actual_date_is_refused(page: Page, demo_password):
    page.set_viewport_size(PHONE)
    sign_in(page, MANAGER[0], demo_password)
    open_my_milestones(page)
    open_quick_update(page, SOLAR_TITLE)
    update_url = page.url

    note = f"Should not be saved {uuid.uuid4().hex[:8]}"
    page.get_by_label("Status", exact=True).select_option(label="Met")
    page.get_by_label("Percent complete").fill("100")
    page.get_by_label("Actual date").fill("")
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save progress").click()

    # The form comes back with the error, beside the field and in the summary.
    expect(page).to_have_url(update_url)
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(
        summary.get_by_role("link", name=re.compile(r"^Actual date: .*date it was met"))
    ).to_have_attribute("href", "#actual_date")
    actual = page.get_by_label("Actual date")
    expect(actual).to_have_attribute("aria-invalid", "true")
    expect(actual).to_have_accessible_description(re.compile("A met milestone needs the date"))
    # What the user typed is kept.
    expect(page.get_by_label("Status", exact=True)).to_have_value("met")
    expect(page.get_by_label("Note")).to_have_value(note)
    expect(page.get_by_role("status")).to_have_count(0)
    assert_fits_phone(page)
    assert_accessible(page)

    # Met at 80 % is refused too, with the reason on the percentage.
    page.get_by_label("Percent complete").fill("80")
    page.get_by_label("Actual date").fill("2026-11-01")
    page.get_by_role("button", name="Save progress").click()
    expect(page).to_have_url(update_url)
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name=re.compile(r"^Percent complete: "))).to_contain_text(
        "100 % complete"
    )
    expect(page.get_by_label("Percent complete")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # Nothing was saved: the milestone is still in progress, overdue, without the note.
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(rf"/projects/{SOLAR_CODE}/milestones/\d+$"))
    expect(page.get_by_role("heading", level=1, name=SOLAR_TITLE)).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("region", name="Dates and progress", exact=True)).to_contain_text(
        "60 %"
    )
    expect(page.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Progress log", exact=True)).not_to_contain_text(note)
    expect(
        page.get_by_role("region", name="Progress log", exact=True).get_by_role("row")
    ).to_have_count(2)


def test_project_milestones_timeline_and_its_table(page: Page, demo_password):
    sign_in(page, MANAGER[0], demo_password)
    goto(page, f"/projects/{SOLAR_CODE}/milestones/")
    expect(page.get_by_role("heading", level=1, name="Milestones")).to_be_visible()

    timeline = page.get_by_role("region", name="Timeline", exact=True)
    chart = timeline.locator("svg[role='img']")
    expect(chart).to_have_count(1)
    expect(chart).to_be_visible()
    # The chart has a name, from its title.
    expect(timeline.get_by_role("img")).to_have_accessible_name(re.compile(r"\S"))

    table = timeline.get_by_role("table", name="Timeline as a table")
    expect(table).to_be_visible()
    row = table.get_by_role("row", name=re.compile(re.escape(SOLAR_TITLE)))
    expect(row).to_contain_text("In progress")
    expect(row).to_contain_text("days late")
    expect(table.get_by_role("row", name=re.compile("Financial close"))).to_contain_text("Met")

    # On a phone the wide chart and tables scroll sideways, by keyboard too.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(table).to_be_visible()
    assert_accessible(page)

    # The list links each milestone to its page.
    milestones = page.get_by_role("region", name="All milestones", exact=True)
    milestones.get_by_role("link", name=SOLAR_TITLE, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/projects/{SOLAR_CODE}/milestones/\d+$"))
    expect(page.get_by_role("heading", level=1, name=SOLAR_TITLE)).to_be_visible()
    assert_accessible(page)
