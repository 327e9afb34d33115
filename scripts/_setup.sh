# Shared by scripts/start and scripts/test: create .venv and install the project into it.
# Re-running is cheap: pip skips what is already installed at the pinned versions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
REQS="${1:-requirements.txt}"
STAMP=".venv/.installed-$(basename "$REQS")"
if [ ! -f "$STAMP" ] || [ "$REQS" -nt "$STAMP" ] || [ requirements.txt -nt "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  echo "==> installing $REQS"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQS"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  touch "$STAMP"
fi
