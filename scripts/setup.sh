#!/usr/bin/env bash
# Set up mirage_nb on a fresh Debian 12 / Ubuntu 24.04 machine, as root or as a
# user (apt-get then goes through sudo):
#
#   bash scripts/setup.sh          # Debian packages, .venv from the lock, kernelspec
#   bash scripts/setup.sh --lab    # the same, then JupyterLab on the welcome tutorial
#
# Python packages go into the project's own virtual environment (.venv), never
# into the system Python (Debian and Ubuntu refuse that: PEP 668), at the exact
# versions of requirements.lock. Running it again brings .venv back in line
# with the lock; `MIRAGE_NB_VENV=DIR` puts the environment elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

lab=no
for arg in "$@"; do
  case "$arg" in
    --lab) lab=yes ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --lab or --help)" >&2; exit 2 ;;
  esac
done
venv=${MIRAGE_NB_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac # absolute: PATH and cd-safe

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Debian packages -------------------------------------------------------
# graphviz draws the device graphs (learners need only this one). The rest is
# for the tests: tshark checks captures; ping, ip, ethtool drive the TAP bridge;
# socat, nc, curl, dig and udhcpc are the real Linux clients of simulated
# unikernels; chromium runs the browser tests (Playwright drives Debian's build);
# npm fetches Pyodide and viz.js for the in-browser gallery, node runs Pyodide
# in the tests.
declare -A need=(
  [dot]=graphviz [tshark]=tshark [ping]=iputils-ping [ip]=iproute2 [ethtool]=ethtool
  [socat]=socat [nc]=netcat-openbsd [curl]=curl [dig]=dnsutils [udhcpc]=udhcpc
  [chromium]=chromium [git]=git [node]=nodejs [npm]=npm
)
missing=()
for cmd in "${!need[@]}"; do # sbin too: a user's PATH often lacks it (ethtool, udhcpc live there)
  PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  missing+=(python3)
elif ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv) # Debian and Ubuntu ship venv's pip separately
fi
# Ubuntu ships chromium only as a snap (its deb is a wrapper that needs snapd):
# there the browser tests skip unless a chromium is already on the PATH.
if [[ " ${missing[*]} " == *" chromium "* ]] && grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then
  echo "setup.sh: no chromium deb on Ubuntu; the browser tests will skip (install chromium to run them)" >&2
  keep=()
  for pkg in "${missing[@]}"; do [ "$pkg" = chromium ] || keep+=("$pkg"); done
  missing=("${keep[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt=(apt-get)
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup.sh: these Debian packages are missing and there is no sudo: ${missing[*]}" >&2
      echo "          install them as root (apt-get update && apt-get install ${missing[*]}), then run this again" >&2
      exit 1
    fi
    apt=(sudo apt-get)
  fi
  say "Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" update -q
  "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Python ------------------------------------------------------------------
"$python" - <<'EOF'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup.sh: mirage_nb needs Python >= 3.11; {sys.executable} is {sys.version.split()[0]}")
EOF
if [ ! -x "$venv/bin/python" ]; then
  say "virtual environment $venv"
  "$python" -m venv "$venv"
fi
say "Python packages from requirements.lock"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
"$venv/bin/python" -m pip check
# The "MirageOS (mirage_nb)" kernel, inside the environment (not the user's ~).
"$venv/bin/python" -m mirage_nb.notebook.kernelspec install --sys-prefix >/dev/null
# The committed tutorials are ours: trusted, so their graphs show before a run.
"$venv/bin/jupyter" trust tutorials/*.ipynb notebooks/*.ipynb >/dev/null 2>&1 || true
say "ready: $venv ($("$venv/bin/python" --version))"

if [ "$lab" = yes ]; then
  exec bash scripts/lab.sh tutorials/00_welcome.ipynb
fi
