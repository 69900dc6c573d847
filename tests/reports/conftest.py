"""Report test helpers: read a PDF's text back, and every factory the reports need.

The contract, budget, milestone and operations factories come from the
budgets and operations tests.
"""

from io import BytesIO

import pypdf
import pytest

from tests.operations.conftest import (  # noqa: F401 - fixtures shared with other areas
    make_budget_line,
    make_contract,
    make_demand_series,
    make_kpi,
    make_milestone,
    make_scheduled_payment,
    make_tariff,
    make_transaction,
)


def pdf_pages(content: bytes) -> list[str]:
    """Return the extracted text of each page of the PDF ``content``."""
    reader = pypdf.PdfReader(BytesIO(content))
    return [page.extract_text() or "" for page in reader.pages]


def pdf_text(content: bytes) -> str:
    """Return the text of the whole PDF, pages joined by newlines."""
    return "\n".join(pdf_pages(content))


@pytest.fixture
def read_pdf():
    """``read_pdf(content)`` → the PDF's whole text."""
    return pdf_text
