"""Optional PAdES signatures on the public reports, made with pyHanko.

Signing is on when ``REPORT_SIGNING_KEY`` and ``REPORT_SIGNING_CERT`` name PEM
(or DER) files (only one of them is an error, not "off"); relative paths are
taken inside the instance folder.
The key may be encrypted with ``REPORT_SIGNING_PASSPHRASE``. The certificate
file may also hold the issuing chain: the certificate matching the key signs,
the others are embedded so a reader can build the path to a root it trusts.

``sign`` appends the signature as an incremental update: the unsigned
reportlab bytes stay an exact prefix of the signed file, so anyone can cut
the signature off and compare with a rebuilt, unsigned report.

The signature is a certification signature allowing no change, with subfilter
``ETSI.CAdES.detached`` (PAdES baseline B-B) and no timestamp (so no network).
Its claimed signing time (``/M``, the only one PAdES has without a timestamp)
is the data version's time, clamped to the certificate's validity start, and
the file's modification date and identifier are derived from the data too.
pyHanko has no public option for either (it takes the clock and
``os.urandom``), so ``_Writer`` and ``_Signer`` set them: with an RSA key,
the same report, certificate and data version always give the same signed
bytes (an ECDSA signature contains a random nonce, so with an EC key only the
signature value varies). Ed25519 keys work with pyHanko's own validator, but
poppler and Acrobat cannot check them: use RSA or ECDSA P-256.
"""

import asyncio
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko_certvalidator.registry import SimpleCertificateStore

#: The name of the signature field added to every signed report.
FIELD_NAME = "pptracker"

_SETTINGS = ("REPORT_SIGNING_KEY", "REPORT_SIGNING_CERT")


class SigningError(Exception):
    """The signing configuration is unusable; the message says what to fix."""


@dataclass(frozen=True)
class _Material:
    """A loaded signer: what ``sign`` needs, kept once per process and configuration."""

    signer: signers.SimpleSigner
    fingerprint: str
    not_before: datetime
    not_after: datetime
    subject: str


#: Loaded signers by configuration (settings, and the files' stat).
_loaded: dict[tuple, _Material] = {}
#: The key's and certificate's paths by settings (instance folder, key, certificate, passphrase).
_paths: dict[tuple, tuple[Path, Path]] = {}


def configured() -> bool:
    """Return True when signing is asked for: either setting is given.

    Only one of the two is a mistake that ``check``, ``fingerprint`` and
    ``sign`` report (``SigningError``), rather than a reason to publish unsigned.
    """
    config = current_app.config
    return bool(config.get("REPORT_SIGNING_KEY") or config.get("REPORT_SIGNING_CERT"))


def check() -> None:
    """Load the configured key and certificate, or raise ``SigningError`` saying why not.

    Does nothing when signing is off. Also refuses a certificate that has
    expired or is not valid yet, since every signature made with it would be
    rejected by readers. The app factory or the CLI calls it to fail early.
    """
    if configured():
        _valid_now(_material())


def fingerprint() -> str | None:
    """Return the SHA-256 (hex) of the signing certificate's DER, or None when signing is off.

    It belongs in a signed report's cache key: a new certificate gives new files.
    """
    return _material().fingerprint if configured() else None


def sign(pdf: bytes, *, signed_at: datetime, reason: str, location: str | None = None) -> bytes:
    """Return ``pdf`` with a PAdES signature appended as an incremental update.

    :param pdf: the unsigned report; it is an exact prefix of the result.
    :param signed_at: the data version's time, claimed as the signing time
        (or the certificate's start of validity, when that is later).
    :param reason: why the document is signed, shown by readers.
    :param location: where, shown by readers (optional).
    :raises SigningError: when signing is off or misconfigured, or the
        certificate is not valid now.
    """
    if not configured():
        raise SigningError("report signing is not configured (REPORT_SIGNING_KEY/_CERT)")
    material = _material()
    _valid_now(material)
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    signed_at = max(signed_at.astimezone(UTC), material.not_before).replace(microsecond=0)

    writer = _Writer(BytesIO(pdf), modified_at=signed_at)
    # The second half of the document id must differ from the unsigned file's
    # (it is a new revision) but need not be random: derive it from the content.
    first_id = writer.document_id[0]
    second_id = hashlib.sha256(b"pptracker signed\0" + pdf).digest()[:16]
    writer._document_id = generic.ArrayObject(  # noqa: SLF001 - no public setter
        [generic.ByteStringObject(first_id), generic.ByteStringObject(second_id)]
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason,
        location=location,
    )
    output = BytesIO()
    signer = _Signer(meta, material.signer, signing_time=signed_at)
    try:
        _outside_any_event_loop(lambda: signer.sign_pdf(writer, output=output))
    except PyHankoSigningError as exc:
        raise SigningError(f"pyHanko could not sign the report: {exc}") from exc
    return output.getvalue()


def _outside_any_event_loop(work):
    # pyHanko's sign_pdf runs an event loop of its own (asyncio.run), which
    # fails in a thread already running one (an async server; Playwright's
    # sync API in the tests): there, sign in a thread of its own.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


# -- pyHanko without the clock -------------------------------------------------------


class _Writer(IncrementalPdfFileWriter):
    """An incremental writer that dates the update ``modified_at``, not "now"."""

    def __init__(self, stream, *, modified_at: datetime):
        super().__init__(stream)
        self.modified_at = modified_at

    def _update_meta(self):
        super()._update_meta()
        if self._info is not None:
            self._info.get_object()["/ModDate"] = generic.pdf_date(self.modified_at)


class _Signer(signers.PdfSigner):
    """A signer whose claimed signing time (``/M``) is given instead of read from the clock.

    pyHanko has no public setting for it (its issue #569); the session's
    ``system_time`` is what it reads, so it is set right after the session is made.
    """

    def __init__(self, *args, signing_time: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.signing_time
        return session


# -- loading -------------------------------------------------------------------------


def _path(setting: str) -> Path:
    value = current_app.config.get(setting)
    if not value:
        other = _SETTINGS[1 - _SETTINGS.index(setting)]
        raise SigningError(
            f"{other} is set but {setting} is not: report signing needs both the "
            "private key and its certificate (or neither, to publish unsigned reports)"
        )
    return Path(current_app.instance_path) / Path(value).expanduser()


def _stat(setting: str, path: Path) -> tuple[int, int, int]:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SigningError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _read(setting: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{setting}: cannot read {path}: {exc.strerror}") from None


def _material() -> _Material:
    """Return the loaded signer of the current configuration, loading it on first use.

    ``fingerprint`` runs on every download (it is part of the cache key), so
    this is two ``stat`` calls and dictionary lookups once loaded. A file
    replaced on disk (a renewed certificate) is loaded again.
    """
    config = current_app.config
    settings = (
        current_app.instance_path,
        config.get("REPORT_SIGNING_KEY"),
        config.get("REPORT_SIGNING_CERT"),
        config.get("REPORT_SIGNING_PASSPHRASE") or None,
    )
    paths = _paths.get(settings)
    if paths is None:
        paths = _path("REPORT_SIGNING_KEY"), _path("REPORT_SIGNING_CERT")
        _paths.clear()
        _paths[settings] = paths
    key_path, cert_path = paths
    cache_key = (
        settings,
        _stat("REPORT_SIGNING_KEY", key_path),
        _stat("REPORT_SIGNING_CERT", cert_path),
    )
    material = _loaded.get(cache_key)
    if material is None:
        material = _load(key_path, cert_path, settings[3])
        _loaded.clear()  # one configuration per process; tests switch between several
        _loaded[cache_key] = material
    return material


def _load(key_path: Path, cert_path: Path, passphrase: str | None) -> _Material:
    key = _load_key(key_path, passphrase)
    certificates = _load_certificates(cert_path)
    public = _public_der(key)
    mine = [c for c in certificates if _public_der(c) == public]
    if not mine:
        subjects = "; ".join(c.subject.rfc4514_string() or "(no subject)" for c in certificates)
        raise SigningError(
            f"the private key in {key_path} does not match the certificate in {cert_path} "
            f"({subjects}): configure the key the certificate was issued for"
        )
    certificate = mine[0]
    others = SimpleCertificateStore()
    others.register_multiple(
        translate_pyca_cryptography_cert_to_asn1(c) for c in certificates if c is not certificate
    )
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(certificate),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=others,
    )
    return _Material(
        signer=signer,
        fingerprint=hashlib.sha256(
            certificate.public_bytes(serialization.Encoding.DER)
        ).hexdigest(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        subject=certificate.subject.rfc4514_string(),
    )


def _load_key(path: Path, passphrase: str | None):
    data = _read("REPORT_SIGNING_KEY", path)
    password = passphrase.encode() if passphrase else None
    load = (
        serialization.load_pem_private_key
        if b"-----BEGIN" in data
        else serialization.load_der_private_key
    )
    try:
        return load(data, password)
    except TypeError:
        if password is None:
            raise SigningError(
                f"the private key in {path} is encrypted: set REPORT_SIGNING_PASSPHRASE"
            ) from None
        raise SigningError(
            f"REPORT_SIGNING_PASSPHRASE is set but the private key in {path} is not "
            "encrypted: unset it, or point REPORT_SIGNING_KEY at the encrypted key"
        ) from None
    except ValueError:
        if password is not None and _is_encrypted(load, data):
            raise SigningError(
                f"wrong REPORT_SIGNING_PASSPHRASE: it does not decrypt the private key in {path}"
            ) from None
        raise SigningError(
            f"REPORT_SIGNING_KEY: {path} does not hold a PEM or DER private key"
        ) from None
    except Exception as exc:  # an unsupported key type, say
        raise SigningError(f"REPORT_SIGNING_KEY: cannot use the key in {path}: {exc}") from None


def _is_encrypted(load, data: bytes) -> bool:
    try:
        load(data, None)
    except TypeError:
        return True
    except ValueError:
        return False
    return False


def _load_certificates(path: Path) -> list[x509.Certificate]:
    data = _read("REPORT_SIGNING_CERT", path)
    try:
        if b"-----BEGIN" in data:
            certificates = x509.load_pem_x509_certificates(data)
        else:
            certificates = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise SigningError(
            f"REPORT_SIGNING_CERT: {path} does not hold a PEM or DER certificate"
        ) from None
    return certificates


def _public_der(holder) -> bytes:
    return holder.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _valid_now(material: _Material) -> None:
    now = datetime.now(UTC)
    if now > material.not_after:
        raise SigningError(
            f"the signing certificate ({material.subject}) expired on "
            f"{material.not_after:%Y-%m-%d %H:%M} UTC: configure a renewed one"
        )
    if now < material.not_before:
        raise SigningError(
            f"the signing certificate ({material.subject}) is not valid until "
            f"{material.not_before:%Y-%m-%d %H:%M} UTC"
        )
