"""``workshop ui``: start the Streamlit app (the same as ``streamlit run app.py``)."""

from __future__ import annotations

import argparse
import os
import sys

from workshop.cli._common import workspace_arg
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


def run(args: argparse.Namespace) -> int:
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
