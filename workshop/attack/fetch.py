"""Downloading MITRE's latest ATT&CK bundle into ``attack_data/``.

MITRE publishes STIX 2.1 bundles in the ``mitre-attack/attack-stix-data``
repository on GitHub; the ``x-mitre-collection`` inside names the release, which
becomes part of the file name (``enterprise-attack-18.1.json``) so that releases
sit side by side and the newest is picked by default. The download is checked
before it is written (a captive portal's HTML page must not replace a good
bundle) and written atomically. Many workshop machines have no internet access:
every network problem ends in one clear message that says how to proceed offline.
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workshop import __version__
from workshop.attack.bundle import parse_bundle
from workshop.attack.model import DOMAINS
from workshop.core.errors import LoadError, WorkshopError
from workshop.core.fileio import atomic_write_bytes

BASE_URL = "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master"
DEFAULT_TIMEOUT = 60.0
#: The enterprise bundle is ~40 MB; anything far larger is not what we asked for.
MAX_BYTES = 300 * 1024 * 1024
_CHUNK = 1024 * 1024


class FetchError(WorkshopError):
    """The bundle could not be downloaded (no network, HTTP error, not a bundle)."""


@dataclass(slots=True)
class FetchResult:
    path: str
    url: str
    version: str
    domain: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_url(domain: str = "enterprise-attack") -> str:
    if domain not in DOMAINS:
        raise FetchError(f"unknown ATT&CK domain '{domain}' (use one of {', '.join(DOMAINS)})")
    return f"{BASE_URL}/{domain}/{domain}.json"


def download(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_BYTES) -> bytes:
    """The body at ``url`` (https, http or file), or :class:`FetchError` saying why not."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("https", "http", "file"):
        raise FetchError(f"cannot download '{url}': only https://, http:// and file:// URLs are supported")
    request = urllib.request.Request(url, headers={"User-Agent": f"use-case-workshop/{__version__}"})  # noqa: S310
    hint = (
        "If this machine has no internet access, download the bundle elsewhere "
        f"({default_url()}) and pass --bundle PATH or set WORKSHOP_ATTACK_BUNDLE."
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            chunks = []
            total = 0
            while True:
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(f"download from {url} is larger than {max_bytes:,} bytes; refusing it")
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"cannot download {url}: HTTP {exc.code} {exc.reason}. {hint}") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"cannot download {url}: {exc.reason}. {hint}") from exc
    except TimeoutError as exc:
        raise FetchError(f"cannot download {url}: no answer within {timeout:g} s. {hint}") from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"cannot download {url}: {exc}. {hint}") from exc
    return b"".join(chunks)


def fetch_bundle(
    data_dir: Path,
    domain: str = "enterprise-attack",
    url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> FetchResult:
    """Download, check and write the latest bundle of ``domain`` into ``data_dir``."""
    url = url or default_url(domain)
    data = download(url, timeout=timeout)
    try:
        bundle = parse_bundle(data, url)
    except LoadError as exc:
        raise FetchError(f"the download is not usable: {exc}") from exc
    got_domain = bundle.data_domain or domain
    version = bundle.data_version or "unknown"
    name = f"{got_domain}-{version}.json" if bundle.data_version else f"{got_domain}.json"
    path = Path(data_dir) / name
    atomic_write_bytes(path, data)
    return FetchResult(
        path=str(path),
        url=url,
        version=version,
        domain=got_domain,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
