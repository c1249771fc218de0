#!/usr/bin/env bash
# Re-execute notebooks in place, in the project's environment, after a change to
# the code they show (nbval then compares against these outputs):
#
#   bash scripts/reexecute.sh                      # every tutorial and notebook
#   bash scripts/reexecute.sh tutorials/01_hello.ipynb ...
#
# Run it as root on Linux so tutorial 11's bridged cells record real output
# (they are tagged nbval-ignore-output), on Debian 12's graphviz (2.43), which
# drew the committed SVGs and which CI installs.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${MIRAGE_NB_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac # absolute: PATH and cd-safe
export PATH="$venv/bin:$PATH"
[ $# -gt 0 ] || set -- tutorials/*.ipynb notebooks/*.ipynb notebooks/scenarios/*.ipynb
for nb in "$@"; do
  echo "== $nb"
  jupyter nbconvert --log-level=WARN --execute --to notebook --inplace \
    --ExecutePreprocessor.timeout=900 "$nb"
done
