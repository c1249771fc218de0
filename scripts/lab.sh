#!/usr/bin/env bash
# Open JupyterLab from the project's environment (made by scripts/setup.sh):
#
#   bash scripts/lab.sh [NOTEBOOK...]     # default: the welcome tutorial
#
# As root, Jupyter refuses to start without --allow-root: it is added then.
# JUPYTER_ARGS passes more options (e.g. "--no-browser --ip=0.0.0.0").
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MIRAGE_NB_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac # absolute: PATH and cd-safe
if [ ! -x "$venv/bin/jupyter" ]; then
  echo "lab.sh: no JupyterLab in $venv; run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
args=()
[ "$(id -u)" -eq 0 ] && args+=(--allow-root)
# shellcheck disable=SC2206 # JUPYTER_ARGS is a list of options, split on spaces
args+=(${JUPYTER_ARGS:-})
[ $# -gt 0 ] || set -- tutorials/00_welcome.ipynb
exec "$venv/bin/jupyter" lab "${args[@]}" "$@"
