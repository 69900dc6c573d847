"""Contracts, amendments and their documents, in Chromium, each page checked with axe-core.

Tests that change data make their own contract with a unique reference, so they
run in any order and on any xdist worker (each worker has its own database).
"""

import re
import uuid
from io import BytesIO

import pytest
from playwright.sync_api import Page, expect
from reportlab.pdfgen import canvas

from tests.browser.test_journeys import (
    AUDITOR,
    DEMO_CODE,
    MANAGER,
    assert_accessible,
    goto,
    sign_in,
)

pytestmark = pytest.mark.browser

#: A published demo project whose contract has a confidential value amendment.
METRO_CODE = "metro-light-rail-line-2"
METRO_CONTRACT = "MTA-L2-2023 – Line 2 DBFOM contract"
METRO_CONFIDENTIAL_VALUE = "1,302,000,000.00"
METRO_REASON = "Settlement terms confidential until the arbitration closes"


# --- helpers ---------------------------------------------------------------


def unique_reference() -> str:
    return f"BT-{uuid.uuid4().hex[:10].upper()}"


def sign_out(page: Page) -> None:
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert_accessible(page)


def pdf_bytes(text: str = "Signed contract") -> bytes:
    """A small, valid one-page PDF."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def open_contracts(page: Page, code: str) -> None:
    """From the project page, follow its Contracts tab."""
    goto(page, f"/manage/projects/{code}")
    tabs = page.get_by_role("navigation", name="Project sections")
    tabs.get_by_role("link", name="Contracts").click()
    expect(page).to_have_url(re.compile(rf"/projects/{code}/contracts/$"))
    expect(page.get_by_role("heading", level=1, name="Contracts")).to_be_visible()
    assert_accessible(page)


def fill_contract_form(page: Page, *, reference: str, title: str, start: str, end: str) -> None:
    """Fill every field the new-contract journey needs, with one party."""
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Status", exact=True).select_option(label="Active")
    page.get_by_label("Payment mechanism").select_option("governmentPays")
    page.get_by_label("Signed on").fill("2024-05-10")
    page.get_by_label("Initial value").fill("1234567")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("Initial start").fill(start)
    page.get_by_label("Initial end").fill(end)
    party = page.get_by_label("Party", exact=True).first
    party.select_option(index=1)  # the first real party, after "No party"
    expect(party).not_to_have_value("")
    page.get_by_label("Role", exact=True).first.select_option("buyer")


def create_contract(page: Page, code: str = DEMO_CODE) -> tuple[str, str]:
    """Sign in as the manager and register a contract; return (reference, title).

    Ends on the new contract's page.
    """
    reference = unique_reference()
    title = f"Operations and maintenance {reference}"
    open_contracts(page, code)
    page.get_by_role("link", name="New contract").click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{code}/contracts/new$"))
    expect(page.get_by_role("heading", level=1, name="New contract")).to_be_visible()
    assert_accessible(page)

    fill_contract_form(page, reference=reference, title=title, start="2024-06-01", end="2049-05-31")
    page.get_by_role("button", name="Save contract").click()
    expect(page).to_have_url(re.compile(rf"/projects/{code}/contracts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status")).to_contain_text(f"Contract {reference} registered.")
    assert_accessible(page)
    return reference, title


# --- journeys --------------------------------------------------------------


def test_manager_registers_a_contract(page: Page, demo_password):
    sign_in(page, MANAGER[0], demo_password)
    reference, title = create_contract(page)

    terms = page.get_by_role("table", name="The contract as signed")
    value_row = terms.get_by_role("row", name=re.compile(r"^Value"))
    expect(value_row).to_contain_text("1,234,567.00 EUR")
    expect(page.get_by_text(f"{reference} · Active")).to_be_visible()
    parties = page.get_by_role("region", name="Parties")
    expect(parties.get_by_role("listitem")).to_have_count(1)
    expect(parties.get_by_role("listitem")).to_contain_text("buyer")
    expect(page.get_by_role("region", name="Amendments")).to_contain_text(
        "No amendment since signature."
    )

    # It is listed among the project's contracts.
    page.get_by_role("link", name=re.compile(r"^Contracts of ")).click()
    row = page.get_by_role("row", name=re.compile(re.escape(reference)))
    expect(row.get_by_role("link", name=f"{reference} – {title}")).to_be_visible()
    expect(row).to_contain_text("1,234,567.00 EUR")
    assert_accessible(page)


def test_contract_form_validation(page: Page, demo_password):
    reference = unique_reference()
    sign_in(page, MANAGER[0], demo_password)
    goto(page, f"/manage/projects/{DEMO_CODE}/contracts/new")

    fill_contract_form(page, reference=reference, title="", start="2030-06-01", end="2029-06-01")
    page.get_by_role("button", name="Save contract").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(r"^Title: "))).to_have_attribute(
        "href", "#title"
    )
    expect(summary.get_by_role("link", name=re.compile(r"^Initial end: "))).to_be_visible()

    title_input = page.get_by_label("Title", exact=True)
    expect(title_input).to_have_attribute("aria-invalid", "true")
    expect(title_input).to_have_accessible_description(re.compile("This field is required"))
    end_input = page.get_by_label("Initial end")
    expect(end_input).to_have_attribute("aria-invalid", "true")
    expect(end_input).to_have_accessible_description("The end cannot be before the start.")
    expect(page.locator("#initial_end-error")).to_be_visible()

    # What the user typed is kept.
    expect(page.get_by_label("Reference")).to_have_value(reference)
    expect(page.get_by_label("Status", exact=True)).to_have_value("active")
    expect(page.get_by_label("Payment mechanism")).to_have_value("governmentPays")
    expect(page.get_by_label("Initial value")).to_have_value("1234567")
    expect(page.get_by_label("Initial start")).to_have_value("2030-06-01")
    expect(end_input).to_have_value("2029-06-01")
    expect(page.get_by_label("Party", exact=True).first).not_to_have_value("")
    expect(page.get_by_label("Role", exact=True).first).to_have_value("buyer")
    assert_accessible(page)

    # Nothing was registered.
    goto(page, f"/projects/{DEMO_CODE}/contracts/")
    expect(page.get_by_text(reference)).to_have_count(0)


def test_amendment_recorded_and_rationale_required(page: Page, demo_password):
    sign_in(page, MANAGER[0], demo_password)
    _reference, title = create_contract(page)
    contract_url = page.url

    # Without a rationale: refused, and nothing is recorded.
    page.get_by_role("link", name="Record an amendment").click()
    expect(page.get_by_role("heading", level=1, name="Record an amendment")).to_be_visible()
    expect(page.get_by_text("Now: 1,234,567.00 EUR")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Type of change").select_option(label="Value")
    page.get_by_label("Date of the amendment").fill("2025-01-15")
    page.get_by_label("New contract value").fill("1481480.40")
    page.get_by_label("Approved by").fill("Ministry board, minute 2025/01")
    page.get_by_label("Approved on").fill("2025-01-10")
    page.get_by_role("button", name="Record amendment").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile(r"^Rationale: "))).to_be_visible()
    rationale = page.get_by_label("Rationale")
    expect(rationale).to_have_attribute("aria-invalid", "true")
    expect(rationale).to_have_accessible_description(re.compile("This field is required"))
    expect(page.get_by_label("New contract value")).to_have_value("1481480.40")
    assert_accessible(page)

    goto(page, contract_url)
    expect(page.get_by_role("region", name="Amendments")).to_contain_text(
        "No amendment since signature."
    )

    # With its rationale: recorded and shown.
    why = f"Extra maintenance depot requested by the authority ({uuid.uuid4().hex[:6]})."
    page.get_by_role("link", name="Record an amendment").click()
    assert_accessible(page)
    page.get_by_label("Type of change").select_option(label="Value")
    page.get_by_label("Date of the amendment").fill("2025-01-15")
    page.get_by_label("Rationale").fill(why)
    page.get_by_label("New contract value").fill("1481480.40")  # +20 %
    page.get_by_label("Approved by").fill("Ministry board, minute 2025/01")
    page.get_by_label("Approved on").fill("2025-01-10")
    page.get_by_role("button", name="Record amendment").click()

    expect(page).to_have_url(contract_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("status")).to_contain_text("Amendment 1 recorded.")
    amendments = page.get_by_role("table", name="Amendments of the contract")
    row = amendments.get_by_role("row", name=re.compile(re.escape(why)))
    expect(row).to_contain_text("Value: 1,234,567.00 EUR → 1,481,480.40 EUR")
    expect(row).to_contain_text("Ministry board, minute 2025/01")
    value_row = page.get_by_role("table", name="The contract as signed").get_by_role(
        "row", name=re.compile(r"^Value")
    )
    expect(value_row).to_contain_text("1,481,480.40 EUR")
    expect(value_row).to_contain_text("+20.0 %")
    assert_accessible(page)


def test_document_uploaded_to_a_contract(page: Page, demo_password):
    sign_in(page, MANAGER[0], demo_password)
    reference, title = create_contract(page)
    contract_url = page.url
    contract_id = contract_url.rsplit("/", 1)[1]
    doc_title = f"Signed agreement {reference}"
    pdf = pdf_bytes(doc_title)

    page.get_by_role("link", name="Upload a document").click()
    expect(page).to_have_url(
        re.compile(rf"/manage/projects/{DEMO_CODE}/documents/\?contract={contract_id}&next=.+$")
    )
    upload = page.get_by_role("region", name="Upload a document")
    expect(upload).to_contain_text(f"attached to contract {reference} – {title}")
    assert_accessible(page)

    # A text file named like a PDF is refused.
    upload.get_by_label("Title", exact=True).fill(f"Fake {reference}")
    upload.get_by_label("Document type").select_option("contractSigned")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "fake.pdf",
                "mimeType": "application/pdf",
                "buffer": b"Just some text, not a PDF at all.\n",
            }
        ],
    )
    upload.get_by_role("button", name="Upload document").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("This file is named like a PDF but is not a PDF.")
    file_input = page.get_by_label("File", exact=True)
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(file_input).to_have_accessible_description(
        re.compile(re.escape("This file is named like a PDF but is not a PDF."))
    )
    expect(page.get_by_text(f"Fake {reference}", exact=True)).to_have_count(0)
    assert_accessible(page)

    # A real PDF, public, attached to the contract.
    upload = page.get_by_role("region", name="Upload a document")
    expect(upload).to_contain_text(f"attached to contract {reference} – {title}")
    upload.get_by_label("Title", exact=True).fill(doc_title)
    upload.get_by_label("Document type").select_option("contractSigned")
    upload.get_by_label("Public", exact=True).check()
    page.set_input_files(
        "#file", files=[{"name": "signed.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    upload.get_by_role("button", name="Upload document").click()
    # Back on the contract page, which lists it; it downloads as the PDF uploaded.
    expect(page).to_have_url(contract_url)
    expect(page.get_by_role("status")).to_contain_text(f"Document “{doc_title}” uploaded.")
    assert_accessible(page)
    documents = page.get_by_role("region", name="Documents")
    link = documents.get_by_role("link", name=doc_title)
    expect(link).to_be_visible()
    expect(documents).to_contain_text("signed.pdf")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "signed.pdf"
    saved = download.path().read_bytes()
    assert saved.startswith(b"%PDF-")
    assert saved == pdf


def test_public_sees_confidential_amendment_withheld(page: Page):
    goto(page, f"/projects/{METRO_CODE}/contracts/")
    expect(page.get_by_role("heading", level=1, name="Contracts")).to_be_visible()
    expect(page.get_by_role("link", name="New contract")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile(re.escape(METRO_CONTRACT)))
    expect(row).to_contain_text("Withheld")
    expect(page.locator("main")).not_to_contain_text(METRO_CONFIDENTIAL_VALUE)

    row.get_by_role("link", name=METRO_CONTRACT).click()
    expect(page).to_have_url(re.compile(rf"/projects/{METRO_CODE}/contracts/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Line 2 DBFOM contract")
    main = page.locator("main")
    expect(main).not_to_contain_text(METRO_CONFIDENTIAL_VALUE)
    expect(main).not_to_contain_text("Settlement of the claim for the heritage delay.")
    amendments = page.get_by_role("region", name="Amendments")
    expect(amendments).to_contain_text(f"is confidential. Reason: {METRO_REASON}")
    value_row = page.get_by_role("table", name="The contract as signed").get_by_role(
        "row", name=re.compile(r"^Value")
    )
    expect(value_row).to_contain_text("1,195,000,000.00 EUR")
    expect(value_row.get_by_role("cell").nth(1)).to_have_text("Withheld")
    # The public amendment is still shown, and nothing to edit or audit is offered.
    expect(amendments).to_contain_text("Roman remains found at the Plaza stop")
    expect(page.get_by_role("link", name="Record an amendment")).to_have_count(0)
    expect(page.get_by_role("link", name="History")).to_have_count(0)
    assert_accessible(page)


def test_public_after_sign_out_sees_no_confidential_value(page: Page, demo_password):
    sign_in(page, MANAGER[0], demo_password)
    goto(page, f"/projects/{METRO_CODE}/contracts/")
    expect(page.locator("main")).to_contain_text(METRO_CONFIDENTIAL_VALUE)
    sign_out(page)

    goto(page, f"/projects/{METRO_CODE}/contracts/")
    expect(page.locator("main")).not_to_contain_text(METRO_CONFIDENTIAL_VALUE)
    page.get_by_role("link", name=METRO_CONTRACT).click()
    expect(page.locator("main")).not_to_contain_text(METRO_CONFIDENTIAL_VALUE)
    expect(page.get_by_role("region", name="Amendments")).to_contain_text(METRO_REASON)
    assert_accessible(page)


def test_auditor_sees_confidential_amendment_and_history(page: Page, demo_password):
    sign_in(page, AUDITOR[0], demo_password)
    goto(page, f"/projects/{METRO_CODE}/contracts/")
    expect(page.get_by_role("link", name="New contract")).to_have_count(0)
    page.get_by_role("link", name=METRO_CONTRACT).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Line 2 DBFOM contract")

    amendments = page.get_by_role("table", name="Amendments of the contract")
    confidential = amendments.get_by_role(
        "row", name=re.compile("Settlement of the claim for the heritage delay")
    )
    expect(confidential).to_contain_text(f"{METRO_CONFIDENTIAL_VALUE} EUR")
    expect(confidential).to_contain_text("Confidential")
    expect(page.get_by_text(METRO_REASON)).to_have_count(0)  # no redaction notice
    value_row = page.get_by_role("table", name="The contract as signed").get_by_role(
        "row", name=re.compile(r"^Value")
    )
    expect(value_row).to_contain_text(f"{METRO_CONFIDENTIAL_VALUE} EUR")
    expect(page.get_by_role("link", name="Record an amendment")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="History").click()
    expect(page).to_have_url(re.compile(rf"/manage/projects/{METRO_CODE}/contracts/\d+/history$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("MTA-L2-2023")
    expect(page.get_by_role("heading", level=2, name="History")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Amendment")).first).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Amendment"))).to_have_count(2)
    assert_accessible(page)
