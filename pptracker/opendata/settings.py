"""The configuration the open data exports depend on, read once per request."""

import hashlib
import json
from dataclasses import astuple, dataclass

from pptracker.reports.version import DataVersion

#: Bumped whenever the shape of an export changes, so no reader keeps an old copy.
FORMAT = 1


@dataclass(frozen=True)
class Settings:
    """What shapes the bytes of an export, besides the data."""

    prefix: str
    base_url: str
    publisher: str
    license_url: str
    projects_per_batch: int
    rows_per_fetch: int

    @classmethod
    def from_config(cls, config) -> "Settings":
        """Return the settings of the app whose ``config`` is given."""
        return cls(
            prefix=config["OC4IDS_PREFIX"],
            base_url=config["PUBLIC_BASE_URL"].rstrip("/"),
            publisher=config["OPENDATA_PUBLISHER_NAME"],
            license_url=config["OPENDATA_LICENSE_URL"],
            projects_per_batch=max(1, int(config["OPENDATA_PROJECTS_PER_BATCH"])),
            rows_per_fetch=max(1, int(config["OPENDATA_ROWS_PER_FETCH"])),
        )

    def project_id(self, code: str) -> str:
        """Return the OC4IDS id of the project with this code."""
        return f"{self.prefix}-{code}"

    def url(self, path: str) -> str:
        """Return the public address of ``path`` (which starts with a slash)."""
        return self.base_url + path

    def etag(self, name: str, at: DataVersion) -> str:
        """Return the ETag of export ``name`` at data version ``at``.

        It changes when the data change, or a setting that shapes the bytes;
        the batch and fetch sizes do not, so they are left out.
        """
        parts = [FORMAT, name, at.seq, at.hash, *astuple(self)[:4]]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
