"""Record every request a browser page makes, to fail on any that leaves the machine.

The app presents itself as local-only: a page load may fetch from the app's own address
(and ``data:``/``blob:``/``about:`` URLs, which are not requests), nothing else. Shared by
the hardening and the pages browser tests.
"""

from __future__ import annotations

LOCAL_SCHEMES = ("data:", "blob:", "about:")


class RequestLog:
    """Attach to a Playwright page; ``foreign`` lists the requests not to ``base``."""

    def __init__(self, page, base: str) -> None:
        self.base = base
        self.all: list[str] = []
        self.foreign: list[str] = []
        page.on("request", self._record)

    def _record(self, request) -> None:
        url = request.url
        self.all.append(url)
        if not (url.startswith(self.base) or url.startswith(LOCAL_SCHEMES)):
            self.foreign.append(url)
