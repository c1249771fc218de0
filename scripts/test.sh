#!/usr/bin/env bash
# Run all of mirage_nb's tests in the project's environment (scripts/setup.sh):
# the style, layer and type checks (ruff, import-linter, mypy), then pytest over
# tests/ and nbval re-running every tutorial and notebook against its committed
# outputs.
#
#   bash scripts/test.sh [PYTEST-ARGS...]
#
# Tests that need root and /dev/net/tun, a browser, or the real tool's outputs
# beside the repository (../shared/reference) skip with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MIRAGE_NB_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac # absolute: PATH and cd-safe
if [ ! -x "$venv/bin/python" ]; then
  echo "test.sh: no environment at $venv; run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
export PATH="$venv/bin:$PATH"
python -m ruff check .
python -m ruff format --check .
lint-imports # the layers point down (pyproject.toml's [tool.importlinter])
python -m mypy # strict on functoria/ and sim/net/, checked elsewhere
python -m pytest -q --nbval --nbval-sanitize-with tutorials/nbval_sanitize.cfg tests tutorials notebooks "$@"
