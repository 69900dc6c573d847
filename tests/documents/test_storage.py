"""The file store: recognising files by content, safe names and paths, saving once."""

import hashlib
import io
from pathlib import Path

import pytest

from pptracker.documents import storage
from pptracker.errors import DomainError
from tests.documents.conftest import stored_files
from tests.documents.samples import (
    HTML,
    OLE2,
    TEXT,
    docx_bytes,
    odf_bytes,
    ooxml_bytes,
    pdf_bytes,
    png_bytes,
    random_zip_bytes,
)


def _sniff(tmp_path, content: bytes, hint=None):
    path = tmp_path / "sample"
    path.write_bytes(content)
    return storage.sniff(content[: storage.HEAD_SIZE], path, hint=hint)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), "application/pdf"),
        (png_bytes(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 32, "image/gif"),
        (b"GIF87a\x01\x00\x01\x00" + b"\x00" * 32, "image/gif"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 32, "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 32, "image/tiff"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
        (docx_bytes(), storage.DOCX),
        (ooxml_bytes("xl/workbook.xml"), storage.XLSX),
        (ooxml_bytes("ppt/presentation.xml"), storage.PPTX),
        (odf_bytes("text"), storage.ODT),
        (odf_bytes("spreadsheet"), storage.ODS),
        (odf_bytes("presentation"), storage.ODP),
    ],
)
def test_accepted_kinds_are_recognised_by_content(tmp_path, content, expected):
    # The hint is deliberately wrong: names never decide.
    assert _sniff(tmp_path, content, hint="whatever.txt") == expected


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(HTML, id="html"),
        pytest.param(TEXT, id="text"),
        pytest.param(b"#!/bin/sh\nrm -rf /\n", id="script"),
        pytest.param(b"MZ\x90\x00" + b"\x00" * 60, id="windows-exe"),
        pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 60, id="elf"),
        pytest.param(random_zip_bytes(), id="plain-zip"),
        pytest.param(ooxml_bytes("other/part.xml"), id="ooxml-without-office-part"),
        pytest.param(odf_bytes("graphics"), id="odf-drawing"),
        pytest.param(b"PK\x03\x04 truncated zip", id="broken-zip"),
        pytest.param(pdf_bytes()[:-200], id="truncated-pdf"),
        pytest.param(b"%PDF-1.4\n<script>alert(1)</script>\n", id="pdf-header-only"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", id="wav"),
    ],
)
def test_other_content_is_refused(tmp_path, content):
    assert _sniff(tmp_path, content, hint="document.pdf") is None


@pytest.mark.parametrize(
    "content",
    [
        ooxml_bytes("word/document.xml", macros=True),
        ooxml_bytes("xl/workbook.xml", macros=True),
        odf_bytes("text", macros=True),
    ],
    ids=["docm", "xlsm", "odt-basic"],
)
def test_office_files_with_macros_are_refused(tmp_path, content):
    with pytest.raises(DomainError, match="macros are not accepted"):
        _sniff(tmp_path, content)


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("minutes.doc", storage.DOC),
        ("BUDGET.XLS", storage.XLS),
        ("slides.ppt", storage.PPT),
        ("setup.msi", None),
        ("mail.msg", None),
        (None, None),
    ],
)
def test_legacy_office_files_are_labelled_by_extension(tmp_path, hint, expected):
    assert _sniff(tmp_path, OLE2, hint=hint) == expected


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("../../evil.pdf", "evil.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("C:\\Users\\me\\plan.docx", "plan.docx"),
        ("bad\x00name\x1f.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override
        ('a"b<c>d|e?.pdf', "a_b_c_d_e_.pdf"),
        ("  spaced   out .pdf  ", "spaced out .pdf"),
        (".htaccess", "htaccess"),
        ("..", "document"),
        ("", "document"),
        (None, "document"),
        ("\x00\x01", "document"),
        ("Συμβαση παραχώρησης.pdf", "Συμβαση παραχώρησης.pdf"),
    ],
)
def test_clean_filename_keeps_only_a_safe_display_name(name, cleaned):
    assert storage.clean_filename(name) == cleaned


def test_clean_filename_shortens_long_names_keeping_the_extension():
    cleaned = storage.clean_filename("x" * 400 + ".pdf")
    assert len(cleaned) == 255 and cleaned.endswith("x.pdf")


@pytest.mark.parametrize(
    ("name", "media_type", "expected"),
    [
        ("contract.pdf", "application/pdf", "contract.pdf"),
        ("photo.JPG", "image/jpeg", "photo.JPG"),
        ("notes.html", "image/png", "notes.html.png"),
        ("scan", "image/tiff", "scan.tif"),
        ("../../evil.pdf", "application/pdf", "evil.pdf"),
    ],
)
def test_download_name_ends_as_the_content_is(name, media_type, expected):
    assert storage.download_name(name, media_type) == expected


def test_path_for_accepts_only_a_sha256(app, store):
    digest = hashlib.sha256(b"x").hexdigest()
    with app.app_context():
        assert storage.path_for(digest) == store / digest[:2] / digest
        for bad in (
            "../" + digest[3:],
            digest.upper(),
            digest[:-1],
            digest + "0",
            "",
            None,
            "/etc/passwd",
            digest[:-1] + "/",
        ):
            with pytest.raises(ValueError, match="SHA-256"):
                storage.path_for(bad)


def test_save_stores_by_content_once(app, store):
    content = png_bytes()
    digest = hashlib.sha256(content).hexdigest()
    with app.app_context():
        first = storage.save(io.BytesIO(content), filename="a.png")
        second = storage.save(io.BytesIO(content), filename="b.png")
    assert first.sha256 == second.sha256 == digest
    assert first.size == len(content) and first.media_type == "image/png"
    assert first.path == store / digest[:2] / digest
    assert (first.created, second.created) == (True, False)
    assert stored_files(store) == [first.path]
    assert first.path.read_bytes() == content


def test_save_enforces_the_size_limit_itself(app, store):
    app.config["MAX_UPLOAD_MB"] = 1
    content = b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n"
    with app.app_context(), pytest.raises(DomainError) as caught:
        storage.save(io.BytesIO(content), filename="big.pdf")
    assert caught.value.message == "The file is larger than the 1 MB limit."
    assert caught.value.field == "file"
    assert stored_files(store) == []


def test_exactly_the_limit_is_accepted(app, store):
    app.config["MAX_UPLOAD_MB"] = 1
    body = b"%PDF-1.4\n"
    tail = b"\n%%EOF\n"
    content = body + b"0" * (1024 * 1024 - len(body) - len(tail)) + tail
    with app.app_context():
        assert storage.save(io.BytesIO(content)).size == 1024 * 1024


@pytest.mark.parametrize(
    ("content", "filename", "mimetype", "message"),
    [
        (TEXT, "contract.pdf", None, storage.NOT_A_PDF),
        (TEXT, "contract", "application/pdf", storage.NOT_A_PDF),
        (HTML, "page.html", "text/html", storage.REFUSED),
        (b"", "empty.pdf", None, "The file is empty."),
        (pdf_bytes()[:-200], "cut.pdf", None, "This PDF is incomplete"),
        (OLE2, "setup.msi", None, "Legacy Office files are accepted only"),
    ],
)
def test_refused_files_leave_nothing_behind(app, store, content, filename, mimetype, message):
    with app.app_context(), pytest.raises(DomainError) as caught:
        storage.save(io.BytesIO(content), filename=filename, mimetype=mimetype)
    assert caught.value.message.startswith(message)
    assert stored_files(store) == []


def test_a_failing_stream_leaves_no_temporary_file(app, store):
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def read(self, size=-1):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            return b"%PDF-" + b"0" * 1000

    with app.app_context(), pytest.raises(OSError, match="connection reset"):
        storage.save(Broken())
    assert stored_files(store) == []


def test_store_defaults_to_the_instance_folder(app):
    app.config["DOCUMENTS_DIR"] = None
    with app.app_context():
        assert storage.documents_dir() == Path(app.instance_path) / "documents"
        app.config["DOCUMENTS_DIR"] = "uploads"  # relative: inside the instance folder
        assert storage.documents_dir() == Path(app.instance_path) / "uploads"
