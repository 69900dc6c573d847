"""PAdES signatures on the public reports: valid, appended, reproducible, and clearly refused.

A self-signed certificate is made here with ``cryptography`` (no network, no
openssl). Signing does not touch the database, so these tests build their own
apps on SQLite and run once, whatever the engines under test.
"""

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from pptracker import create_app
from pptracker.reports import layout, signing
from pptracker.reports.signing import SigningError
from tests.reports.conftest import pdf_pages, pdf_text

NOW = datetime.now(UTC).replace(microsecond=0)
DATA_AT = NOW - timedelta(hours=5)
REASON = "Published transparency report of project Ωμέγα-7"
NAME = "Мост через <Днепр> & Co"


# -- certificates ------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # non-repudiation, which pyHanko's validator asks for
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(key, subject, *, issuer=None, issuer_key=None, start=None, days=30, ca=False):
    start = start or NOW - timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer or subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(_usage(ca=ca), critical=True)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _key_pem(key, passphrase: str | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _cert_pem(*certificates) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def pki(tmp_path_factory, rsa_key):
    """A self-signed RSA certificate and its key (plain and encrypted) in PEM files."""
    folder = tmp_path_factory.mktemp("pki")
    certificate = _certificate(rsa_key, "pptracker reports (test)")
    (folder / "key.pem").write_bytes(_key_pem(rsa_key))
    (folder / "key-encrypted.pem").write_bytes(_key_pem(rsa_key, "s3cret passphrase"))
    (folder / "cert.pem").write_bytes(_cert_pem(certificate))
    return folder


def _app(tmp_path: Path, **settings):
    settings.setdefault("REPORT_SIGNING_KEY", None)
    settings.setdefault("REPORT_SIGNING_CERT", None)
    settings.setdefault("REPORT_SIGNING_PASSPHRASE", None)
    return create_app("testing", instance_path=str(tmp_path / "instance"), **settings)


@pytest.fixture
def signing_app(tmp_path, pki):
    return _app(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
    )


@pytest.fixture(scope="module")
def unsigned():
    """A small report in the reports' own layout, with Greek and Cyrillic text."""
    story = [
        *layout.heading("Transparency report"),
        layout.para(NAME),
        layout.para("Οδικός άξονας — contract value 1,234,567.89 EUR"),
    ]
    return layout.build(story, layout.Meta("Report", "Test", DATA_AT, "footer"))


def _sign(app, pdf: bytes, signed_at: datetime = DATA_AT, **kwargs) -> bytes:
    kwargs.setdefault("reason", REASON)
    with app.app_context():
        return signing.sign(pdf, signed_at=signed_at, **kwargs)


def _in_own_thread(work):
    # pyHanko's validator runs an event loop of its own (asyncio.run), and on
    # an xdist worker that ran a browser test, Playwright's loop is running in
    # this thread: a thread of its own has none.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _validate(signed: bytes, trust_root: Path):
    reader = PdfFileReader(BytesIO(signed))
    (embedded,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(trust_root))])
    return embedded, _in_own_thread(lambda: validate_pdf_signature(embedded, context))


# -- signing -------------------------------------------------------------------------


def test_signed_report_validates_and_covers_the_whole_file(signing_app, pki, unsigned):
    signed = _sign(signing_app, unsigned, location="Athens")

    embedded, status = _validate(signed, pki / "cert.pem")
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert status.docmdp_ok and status.bottom_line
    assert embedded.field_name == signing.FIELD_NAME
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == REASON
    assert embedded.sig_object["/Location"] == "Athens"
    # The claimed signing time is the data version's, not the clock's.
    assert status.signer_reported_dt == DATA_AT


def test_unsigned_bytes_are_a_prefix_up_to_the_first_eof(signing_app, unsigned):
    signed = _sign(signing_app, unsigned)

    assert signed.startswith(unsigned)
    assert len(signed) > len(unsigned)
    # What the README tells a reader: cut after the first "%%EOF" line.
    assert signed[: signed.index(b"%%EOF\n") + 6] == unsigned


def test_signed_report_reads_as_before(signing_app, unsigned):
    signed = _sign(signing_app, unsigned)

    assert len(pdf_pages(signed)) == len(pdf_pages(unsigned))
    text = pdf_text(signed)
    assert text == pdf_text(unsigned)
    assert NAME in text
    assert "Οδικός άξονας" in text


def test_tampering_breaks_the_signature(signing_app, pki, unsigned):
    signed = _sign(signing_app, unsigned)
    # Flip one bit inside the first stream of the original revision (signed bytes).
    position = signed.index(b"stream\n") + 20
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]

    _, status = _validate(tampered, pki / "cert.pem")
    assert not status.intact
    assert not status.bottom_line


def test_same_inputs_same_signed_bytes(signing_app, unsigned):
    first = _sign(signing_app, unsigned)
    again = _sign(signing_app, unsigned)
    later = _sign(signing_app, unsigned, signed_at=DATA_AT + timedelta(minutes=1))

    assert first == again  # RSA PKCS#1 v1.5: no clock, no random in the file
    assert later != first
    # Nothing in the update comes from the clock: it is dated by the data.
    assert pypdf.PdfReader(BytesIO(first)).metadata.modification_date == DATA_AT
    assert b"/ModDate" in first[len(unsigned) :]


def test_signing_time_is_not_before_the_certificate(tmp_path, pki, unsigned):
    app = _app(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
    )
    certificate = x509.load_pem_x509_certificate((pki / "cert.pem").read_bytes())
    signed = _sign(app, unsigned, signed_at=datetime(2000, 1, 1, tzinfo=UTC))

    _, status = _validate(signed, pki / "cert.pem")
    assert status.bottom_line
    assert status.signer_reported_dt == certificate.not_valid_before_utc


def test_fingerprint_is_the_certificates_sha256(signing_app, pki):
    der = x509.load_pem_x509_certificate((pki / "cert.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    with signing_app.app_context():
        assert signing.configured()
        signing.check()
        assert signing.fingerprint() == hashlib.sha256(der).hexdigest()


def test_signer_is_loaded_once(signing_app, unsigned, monkeypatch):
    with signing_app.app_context():
        signing.fingerprint()  # loaded (or already loaded by an earlier test)
        calls = []
        real = signing._load
        monkeypatch.setattr(signing, "_load", lambda *a: calls.append(a) or real(*a))
        signing.fingerprint()
        signing.sign(unsigned, signed_at=DATA_AT, reason=REASON)
        signing.check()
    assert calls == []


def test_a_renewed_certificate_changes_the_fingerprint(tmp_path, rsa_key, pki):
    key = tmp_path / "key.pem"
    cert = tmp_path / "cert.pem"
    key.write_bytes((pki / "key.pem").read_bytes())
    cert.write_bytes((pki / "cert.pem").read_bytes())
    app = _app(tmp_path, REPORT_SIGNING_KEY=str(key), REPORT_SIGNING_CERT=str(cert))
    with app.app_context():
        before = signing.fingerprint()
        cert.write_bytes(_cert_pem(_certificate(rsa_key, "pptracker reports (renewed)")))
        assert signing.fingerprint() != before


def test_relative_paths_are_in_the_instance_folder_and_passphrase_works(tmp_path, pki, unsigned):
    instance = tmp_path / "instance"
    (instance / "signing").mkdir(parents=True)
    for name in ("key-encrypted.pem", "cert.pem"):
        (instance / "signing" / name).write_bytes((pki / name).read_bytes())
    app = _app(
        tmp_path,
        REPORT_SIGNING_KEY="signing/key-encrypted.pem",
        REPORT_SIGNING_CERT="signing/cert.pem",
        REPORT_SIGNING_PASSPHRASE="s3cret passphrase",
    )
    _, status = _validate(_sign(app, unsigned), pki / "cert.pem")
    assert status.bottom_line


def test_chain_in_the_certificate_file_validates_against_the_root(tmp_path, unsigned):
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(root_key, "Test Root CA", ca=True, days=365)
    leaf = _certificate(leaf_key, "pptracker reports", issuer="Test Root CA", issuer_key=root_key)
    (tmp_path / "key.pem").write_bytes(_key_pem(leaf_key))
    (tmp_path / "chain.pem").write_bytes(_cert_pem(root, leaf))  # leaf need not come first
    (tmp_path / "root.pem").write_bytes(_cert_pem(root))
    app = _app(
        tmp_path,
        REPORT_SIGNING_KEY=str(tmp_path / "key.pem"),
        REPORT_SIGNING_CERT=str(tmp_path / "chain.pem"),
    )
    signed = _sign(app, unsigned)

    embedded, status = _validate(signed, tmp_path / "root.pem")
    assert status.bottom_line and status.trusted
    assert embedded.signer_cert.subject.native["common_name"] == "pptracker reports"
    with app.app_context():
        leaf_der = leaf.public_bytes(serialization.Encoding.DER)
        assert signing.fingerprint() == hashlib.sha256(leaf_der).hexdigest()


# -- off, and misconfigured ----------------------------------------------------------


def test_unconfigured_signing_is_off(tmp_path, unsigned):
    app = _app(tmp_path)
    with app.app_context():
        assert not signing.configured()
        assert signing.fingerprint() is None
        signing.check()  # nothing to check
        with pytest.raises(SigningError, match="not configured"):
            signing.sign(unsigned, signed_at=DATA_AT, reason=REASON)


def _refusal(tmp_path, **settings) -> str:
    app = _app(tmp_path, **settings)
    with app.app_context(), pytest.raises(SigningError) as error:
        signing.check()
    with app.app_context(), pytest.raises(SigningError) as again:
        signing.fingerprint()
    assert str(again.value) == str(error.value)
    return str(error.value)


def test_key_without_certificate_is_refused(tmp_path, pki):
    message = _refusal(tmp_path, REPORT_SIGNING_KEY=str(pki / "key.pem"))
    assert "REPORT_SIGNING_KEY is set but REPORT_SIGNING_CERT is not" in message


def test_certificate_without_key_is_refused(tmp_path, pki):
    message = _refusal(tmp_path, REPORT_SIGNING_CERT=str(pki / "cert.pem"))
    assert "REPORT_SIGNING_CERT is set but REPORT_SIGNING_KEY is not" in message


def test_missing_file_is_named(tmp_path, pki):
    message = _refusal(
        tmp_path, REPORT_SIGNING_KEY=str(pki / "key.pem"), REPORT_SIGNING_CERT="nowhere.pem"
    )
    assert "REPORT_SIGNING_CERT" in message
    assert str(tmp_path / "instance" / "nowhere.pem") in message
    assert "No such file" in message


def test_wrong_passphrase_is_refused(tmp_path, pki):
    message = _refusal(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key-encrypted.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
        REPORT_SIGNING_PASSPHRASE="not it",
    )
    assert message.startswith("wrong REPORT_SIGNING_PASSPHRASE")


def test_encrypted_key_without_passphrase_is_refused(tmp_path, pki):
    message = _refusal(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key-encrypted.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
    )
    assert "is encrypted: set REPORT_SIGNING_PASSPHRASE" in message


def test_passphrase_for_a_plain_key_is_refused(tmp_path, pki):
    message = _refusal(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
        REPORT_SIGNING_PASSPHRASE="s3cret passphrase",
    )
    assert "is not encrypted" in message


def test_key_of_another_certificate_is_refused(tmp_path, pki):
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "other.pem").write_bytes(_key_pem(other))
    message = _refusal(
        tmp_path,
        REPORT_SIGNING_KEY=str(tmp_path / "other.pem"),
        REPORT_SIGNING_CERT=str(pki / "cert.pem"),
    )
    assert "does not match the certificate" in message
    assert "pptracker reports (test)" in message


@pytest.mark.parametrize("which", ["REPORT_SIGNING_KEY", "REPORT_SIGNING_CERT"])
def test_file_of_something_else_is_refused(tmp_path, pki, which):
    (tmp_path / "notes.pem").write_text("-----BEGIN NOTHING-----\nhello\n-----END NOTHING-----\n")
    settings = {
        "REPORT_SIGNING_KEY": str(pki / "key.pem"),
        "REPORT_SIGNING_CERT": str(pki / "cert.pem"),
        which: str(tmp_path / "notes.pem"),
    }
    message = _refusal(tmp_path, **settings)
    assert message.startswith(f"{which}: ")
    assert "does not hold a PEM or DER" in message


def test_expired_certificate_is_refused(tmp_path, rsa_key, pki, unsigned):
    expired = _certificate(rsa_key, "old reports", start=NOW - timedelta(days=400), days=365)
    (tmp_path / "old.pem").write_bytes(_cert_pem(expired))
    app = _app(
        tmp_path,
        REPORT_SIGNING_KEY=str(pki / "key.pem"),
        REPORT_SIGNING_CERT=str(tmp_path / "old.pem"),
    )
    with app.app_context():
        assert signing.fingerprint()  # loads: the cache key can still be made
        with pytest.raises(SigningError, match=r"\(CN=old reports\) expired on "):
            signing.check()
        with pytest.raises(SigningError, match="expired"):
            signing.sign(unsigned, signed_at=DATA_AT, reason=REASON)


def test_signing_works_inside_a_running_event_loop(signing_app, unsigned):
    """pyHanko runs its own loop; an async server (or Playwright in a test) already has one."""
    import asyncio

    async def inside():
        return _sign(signing_app, unsigned)

    signed = _in_own_thread(lambda: asyncio.run(inside()))

    assert signed.startswith(unsigned)
    assert signed == _sign(signing_app, unsigned)


def test_public_downloads_are_signed_once_per_data_version(
    app, client, runner, make_project, pki, tmp_path
):
    """End to end: the download is signed, every download of a version is the same file,
    the CLI's --unsigned bytes are its prefix, and the internal report is not signed."""
    app.config.update(
        REPORT_SIGNING_KEY=str(pki / "key.pem"), REPORT_SIGNING_CERT=str(pki / "cert.pem")
    )
    make_project("harbour-bridge", published=True)

    first = client.get("/projects/harbour-bridge/report.pdf").data
    second = client.get("/projects/harbour-bridge/report.pdf").data
    unsigned = tmp_path / "unsigned.pdf"
    result = runner.invoke(
        args=["reports", "project", "harbour-bridge", "--unsigned", "-o", str(unsigned)]
    )

    assert result.exit_code == 0, result.output
    assert first == second
    _embedded, status = _validate(first, pki / "cert.pem")
    assert status.intact and status.valid and status.trusted
    assert first.startswith(unsigned.read_bytes()) and len(first) > len(unsigned.read_bytes())
    assert b"/ETSI.CAdES.detached" in client.get("/reports/portfolio.pdf").data

    runner.invoke(args=["reports", "spending", "harbour-bridge", "-o", str(tmp_path / "s.pdf")])
    assert b"/ETSI.CAdES.detached" not in (tmp_path / "s.pdf").read_bytes()
