"""``workshop ui``: start the Streamlit app (the same as ``streamlit run app.py``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workshop.cli._common import workspace_arg
from workshop.core.errors import InputError
from workshop.core.workspace import PROJECT_ROOT, resolve_workspace

COMMANDS = {"ui": "start the workshop app in the browser"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ui", parents=[common], help=COMMANDS["ui"])
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: only this machine; see SECURITY.md before changing)",
    )
    p.add_argument("--headless", action="store_true", help="do not open a browser window")
    p.add_argument(
        "--insecure-no-login",
        action="store_true",
        help="allow a non-loopback --host without a login configured (anyone who reaches the port can use the app)",
    )
    p.set_defaults(func=run)


def command(args: argparse.Namespace) -> list[str]:
    app = PROJECT_ROOT / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", args.host,
        "--server.port", str(args.port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    if args.headless:
        cmd += ["--server.headless", "true"]
    return cmd


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets from when started by ``workshop ui`` (user's, then project's)."""
    return [Path.home() / ".streamlit" / "secrets.toml", PROJECT_ROOT / ".streamlit" / "secrets.toml"]


def login_configured(files: list[Path] | None = None) -> bool:
    """True when a secrets file Streamlit will read has an ``[auth]`` section (the OIDC login)."""
    import tomllib

    for path in files if files is not None else secrets_files():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data.get("auth"), dict) and data["auth"]:
            return True
    return False


def check_exposure(host: str, insecure_no_login: bool, files: list[Path] | None = None) -> None:
    """Refuse to offer the app beyond this machine without a login, unless the operator insists."""
    if is_loopback(host) or insecure_no_login or login_configured(files):
        return
    raise InputError(
        f"--host {host} would let anyone who reaches this port read and change every answer, and no login is "
        "configured (an [auth] section in .streamlit/secrets.toml, see SECURITY.md); configure the login, or "
        "pass --insecure-no-login inside a network segment you trust"
    )


def run(args: argparse.Namespace) -> int:
    check_exposure(args.host, getattr(args, "insecure_no_login", False))
    if not is_loopback(args.host) and not login_configured():
        print("warning: the app is reachable from other machines without a login (--insecure-no-login)", file=sys.stderr)
    env = dict(os.environ)
    env["WORKSHOP_HOME"] = str(resolve_workspace(workspace_arg(args)))
    cmd = command(args)
    print(
        f"Use-Case Workshop on http://{args.host}:{args.port}  (workspace {env['WORKSHOP_HOME']})",
        file=sys.stderr,
    )
    os.chdir(PROJECT_ROOT)  # so Streamlit finds .streamlit/config.toml
    os.execvpe(cmd[0], cmd, env)  # noqa: S606 - replaces this process with Streamlit's server
    return 0  # pragma: no cover
