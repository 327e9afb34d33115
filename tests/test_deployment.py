"""Deployment defaults: localhost only, XSRF on, upload limits, no tracebacks, team login."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

from workshop.cli import build_parser
from workshop.cli.ui import command

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_config_is_safe_by_default() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server["address"] == "127.0.0.1"
    assert server["enableXsrfProtection"] is True
    # Bounded, but not below what a log sample can be: profiles stream from disk (issue 17).
    assert 0 < server["maxUploadSize"] <= 4096
    assert config["client"]["showErrorDetails"] == "none"  # no traceback in the page
    assert config["browser"]["gatherUsageStats"] is False


def test_the_app_server_reads_the_project_config() -> None:
    """The settings above reach Streamlit itself, as `workshop ui` starts it (from the project root).

    The forced garbage collection after every run is off: it was most of the server's time per
    answer and per section switch (issue 13). Streamlit is asked in a process of its own, so a
    renamed option or a config file it cannot read fails here instead of being ignored."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    probe = (
        "from streamlit import config; import json; "
        "print(json.dumps({k: config.get_option(k) for k in "
        "('runner.postScriptGC', 'server.address', 'client.showErrorDetails')}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {
        "runner.postScriptGC": False,
        "server.address": "127.0.0.1",
        "client.showErrorDetails": "none",
    }


def test_workshop_ui_binds_to_localhost_unless_told() -> None:
    args = build_parser().parse_args(["ui"])
    cmd = command(args)
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8501"
    assert str(ROOT / "app.py") in cmd
    team = command(argparse.Namespace(host="0.0.0.0", port=9000, headless=True))
    assert team[team.index("--server.address") + 1] == "0.0.0.0"


def test_no_secrets_means_no_login_screen(workspace: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Applications"


def test_configured_login_stops_anonymous_visitors(workspace: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "workshop",
        "client_secret": "secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert at.title[0].value == "Use-Case Workshop"
    assert not at.dataframe  # nothing from the workspace is shown before signing in
