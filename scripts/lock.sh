#!/usr/bin/env bash
# Refresh requirements.lock, the exact versions (with hashes) that
# scripts/setup.sh, CI and Binder install, from pyproject.toml's ranges of the
# notebook, test and gallery extras. One lock serves Python 3.11 and newer (--universal).
#
#   bash scripts/lock.sh              # re-resolve within the ranges
#   bash scripts/lock.sh --upgrade    # take the newest releases the ranges allow
#
# uv (PyPI's `uv`) resolves; it is installed into .venv if it is not there.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MIRAGE_NB_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac # absolute: PATH and cd-safe
[ -x "$venv/bin/uv" ] || "$venv/bin/python" -m pip install -q --disable-pip-version-check uv
exec "$venv/bin/uv" pip compile pyproject.toml --extra notebook --extra test --extra gallery \
  --universal --python-version 3.11 --generate-hashes --quiet \
  --custom-compile-command "bash scripts/lock.sh" -o requirements.lock "$@"
