"""A real sign-in: Streamlit's OIDC login against a small OpenID Connect provider started here.

The provider (discovery, JWKS, authorize, token with an RS256-signed id_token) runs on
127.0.0.1 in this process; the app runs as a real server with an ``[auth]`` section;
Chromium clicks "Sign in", is sent to the provider, comes back through
``/oauth2callback`` (where Authlib exchanges the code over httpx and checks the
id_token's signature, issuer, audience and nonce) and lands in the app signed in
(issue 14, item 4: without httpx this fails with ModuleNotFoundError).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.e2e import (
    ARTIFACTS,
    DEFAULT_TIMEOUT,
    RUN_TIMEOUT,
    browser_page,
    free_port,
    server_env,
    wait_for_app,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "use-case-workshop"
EMAIL = "ann.analyst@example.org"


class Provider:
    """Just enough OpenID Connect for one authorization-code sign-in, consenting at once."""

    def __init__(self) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.codes: dict[str, str] = {}  # code -> nonce
        self.token_requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, data: dict, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json({"keys": [provider.key.as_dict(private=False)]})
                elif url.path == "/authorize":
                    q = dict(urllib.parse.parse_qsl(url.query))
                    assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = q.get("nonce", "")
                    target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if self.path != "/token" or form.get("code") not in provider.codes:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                provider.token_requests += 1
                self._json({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                            "id_token": provider.id_token(provider.codes.pop(form["code"]))})  # fmt: skip

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, nonce: str) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "sub": "ann-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": nonce, "email": EMAIL, "email_verified": True, "name": "Ann Analyst"}  # fmt: skip
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_sign_in_through_a_local_oidc_provider(workspace: Path, tmp_path: Path) -> None:
    pytest.importorskip("httpx", reason="Authlib's client needs httpx (requirements.txt)")
    from workshop.interview.model import Application
    from workshop.store import Store

    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
    port = free_port()
    with Provider() as idp:
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{CLIENT_ID}"\n'
            'client_secret = "test-secret"\n'
            f'server_metadata_url = "{idp.issuer}/.well-known/openid-configuration"\n'
        )
        ARTIFACTS.mkdir(exist_ok=True)
        log_path = ARTIFACTS / f"oidc-server-{port}.log"
        env = server_env(workspace)
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--secrets.files", str(secrets_file)]  # fmt: skip
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            app = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180  # a loaded 2-core CI machine
            while True:
                assert proc.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"{app}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the app did not start"
                time.sleep(0.25)
            with browser_page() as page:
                page.goto(f"{app}/?app=claims")
                page.get_by_role("button", name="Sign in").wait_for(timeout=RUN_TIMEOUT)
                # the gate: nothing else shown
                expect(page.get_by_text("Sign in to continue")).to_have_count(1, timeout=DEFAULT_TIMEOUT)
                page.get_by_role("button", name="Sign in").click()
                # The page goes to the provider and comes back through /oauth2callback: wait for the code
                # to be exchanged (the page's address is the app's before, during and after), then for the
                # page it lands on.
                wait_until(lambda: idp.token_requests >= 1, timeout=RUN_TIMEOUT / 1000,
                           what="the app's server to exchange the sign-in code at the provider")  # fmt: skip
                signed_in = page.get_by_text("Signed in as")
                signed_in.wait_for(timeout=RUN_TIMEOUT)
                page.wait_for_url(f"{app}/**", timeout=RUN_TIMEOUT)
                wait_for_app(page)
                # the e-mail is shown through ui.text.md, which puts an invisible word joiner before "@"
                assert signed_in.inner_text().replace("\u2060", "") == f"Signed in as {EMAIL}"
                assert "_streamlit_user" in {c["name"] for c in page.context.cookies()}
                assert idp.token_requests == 1  # the code was exchanged by the app's server (httpx)
                page.get_by_role("heading", name="Applications").wait_for()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
