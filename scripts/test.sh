#!/usr/bin/env bash
# The whole test suite on a fresh machine: what the machine needs, the project's venv, the tests,
# and the clock-sensitive tests once more with the system date a year ahead.
#
# Needs: root (or the Debian packages chromium and faketime already installed), PostgreSQL at
# 127.0.0.1:5432 with the database `test` (started here if it is installed but stopped), and
# Python 3.11+. Takes 20 to 35 minutes on 2 cores in a fresh clone (README.md gives measured times);
# each phase prints the seconds since the start.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL: the tests create and drop their own database on the machine's server.
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

# Rasa's own Python 3.10 environment (Rasa 3.6 and about 2 GB of wheels) installs in the
# background while the machine's packages and the project's environment do: the Rasa tests wait
# for it under the lock they take around the same set-up (tests/nlu/test_rasa.py), and set it up
# themselves, with a clear error, if this could not. The standard library is enough to run it.
if command -v flock >/dev/null; then
  mkdir -p var/test-locks
  rasa_venv="${SAFEBOT_DATA_DIR:-var}/rasa-venv"
  echo "+ installing Rasa into $rasa_venv in the background (log: var/rasa-env-setup.log)"
  (flock var/test-locks/rasa-env.lock python3 -m nlu.rasa_environment "$rasa_venv" \
    ${SAFEBOT_RASA_PYTHON:+--python "$SAFEBOT_RASA_PYTHON"} >var/rasa-env-setup.log 2>&1 || true) &
fi

# Chromium drives the dashboard's browser tests (Playwright cannot download browsers here);
# faketime moves the system clock a year ahead for the second run below.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v faketime >/dev/null || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need the Debian packages: ${missing[*]}. Run this script as root, or install" \
      "them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "+ apt-get install -y ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "+ [${SECONDS} s] the project's environment"
# The locked dependencies (every version pinned, every file checked against its hash), then the
# project itself without resolving anything again. README.md says how to update the lock.
python3 -m venv .venv
.venv/bin/pip install -q --require-hashes -r requirements-pip.lock \
  || echo "+ keeping the venv's own pip (requirements-pip.lock could not be installed)"
.venv/bin/pip install -q --require-hashes -r requirements.lock
.venv/bin/pip install -q --no-deps -e .

echo "+ [${SECONDS} s] the tests"
# One test worker per core (pytest-xdist), each taking whole test files in the order collected:
# the Rasa tests come first (tests/conftest.py), so one worker sets up Rasa and its servers while
# the other runs the rest. Model training is done once, under a lock, by whichever worker needs
# the models first.
.venv/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder --durations=15 "$@"

# The same code a year from now: every test that reads or stores a time, with the system clock
# (Python's, SQLite's and the subprocesses') moved 365 days ahead.
echo "+ [${SECONDS} s] faketime -f +365d pytest -m time_sensitive"
faketime -f '+365d' .venv/bin/python -m pytest -q -m time_sensitive -p no:cacheprovider -n auto --dist load
echo "+ [${SECONDS} s] done"
