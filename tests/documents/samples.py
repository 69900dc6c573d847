"""Small real files of every kind the store accepts, and some it refuses."""

import io
import struct
import zipfile
import zlib

from reportlab.pdfgen import canvas


def pdf_bytes(text: str = "Concession agreement") -> bytes:
    """Return a one-page PDF made by reportlab."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    """Return a valid 1×1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _zip(members: dict[str, bytes], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(members.items()):
            kind = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def ooxml_bytes(part: str = "word/document.xml", *, macros: bool = False) -> bytes:
    """Return a minimal Office Open XML package (docx by default)."""
    members = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>"}
    members[part] = b"<document/>"
    if macros:
        members[part.split("/")[0] + "/vbaProject.bin"] = b"\x00" * 16
    return _zip(members)


def docx_bytes() -> bytes:
    """Return a minimal .docx: [Content_Types].xml and word/document.xml."""
    return ooxml_bytes()


def odf_bytes(kind: str = "text", *, macros: bool = False) -> bytes:
    """Return a minimal OpenDocument file whose first member is ``mimetype``."""
    members = {
        "mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
        "content.xml": b"<office:document-content/>",
    }
    if macros:
        members["Basic/Standard/Module1.xml"] = b"<script:module/>"
    return _zip(members, stored_first=True)


def random_zip_bytes() -> bytes:
    """Return a ZIP that is no office document."""
    return _zip({"readme.txt": b"hello", "payload.js": b"alert(1)"})


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
TEXT = b"This is plain text pretending to be a PDF.\n"
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504
