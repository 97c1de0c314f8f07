#!/usr/bin/env bash
# MLflow's own REST tests (tests/tracking/test_rest_tracking.py) against Runlog's MLflow dialect.
#
#   npm run mlflow:rest-tests -- <runlog base url>    every test against one running Runlog
#   npm run mlflow:rest-tests -- fresh                a new Runlog (this checkout's dist/) for each test
#   extra arguments after the first go to pytest (-k test_log_batch)
#
# MLflow's tests are not in its PyPI packages, so they come from a copy of its repository: MLFLOW_SOURCE is a
# checkout (a folder holding tests/) or a bare git directory read at MLFLOW_COMMIT. Not part of `npm test`: CI has
# no copy of MLflow's repository. Results (JUnit, log, summary) go to OUT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TARGET=${1:?usage: run.sh <runlog base url | fresh> [pytest args...]}
shift || true

# The newest MLflow tests reachable here: harupy/mlflow (a maintainer's fork; mlflow/mlflow's snapshot is over the
# fetch limit) at master's "Post release bump version to 3.11.2.dev0" (2026-04-08). Its tests use code newer than
# 3.11.1, so the client is mlflow 3.12.0, the first release holding that commit.
MLFLOW_SOURCE=${MLFLOW_SOURCE:-/work/.mirror/harupy+mlflow/repo}
MLFLOW_COMMIT=${MLFLOW_COMMIT:-d93fcbf5fe24a37786ca13cc917d1b4871f2af38}
MLFLOW_PIP_VERSION=${MLFLOW_PIP_VERSION:-3.12.0}
CACHE=${RUNLOG_CACHE_DIR:-$HOME/.cache/runlog}
VENV=$CACHE/mlflow-rest-tests-$MLFLOW_PIP_VERSION
OUT=${OUT:-${TMPDIR:-/tmp}/runlog-mlflow-rest-tests}
WORK=$OUT/work
mkdir -p "$OUT"

FILES="tests/__init__.py tests/helper_functions.py tests/integration/__init__.py tests/integration/utils.py
  tests/tracking/__init__.py tests/tracking/conftest.py tests/tracking/integration_test_utils.py
  tests/tracking/test_rest_tracking.py"
rm -rf "$WORK" && mkdir -p "$WORK"
for f in $FILES; do
  mkdir -p "$WORK/$(dirname "$f")"
  if [ -f "$MLFLOW_SOURCE/$f" ]; then
    cp "$MLFLOW_SOURCE/$f" "$WORK/$f"
  elif git -C "$MLFLOW_SOURCE" rev-parse --git-dir > /dev/null 2>&1; then
    git -C "$MLFLOW_SOURCE" show "$MLFLOW_COMMIT:$f" > "$WORK/$f"
  else
    echo "no MLflow tests at MLFLOW_SOURCE=$MLFLOW_SOURCE (a checkout, or a git directory with $MLFLOW_COMMIT)" >&2
    exit 2
  fi
done
# Our root conftest replaces MLflow's (which points every test at a local SQLite store).
cp "$HERE/conftest.py" "$HERE/pytest.ini" "$HERE/deselect.json" "$WORK/"
python3 "$HERE/patch_module.py" "$WORK/tests/tracking/test_rest_tracking.py"

if ! "$VENV/bin/python" -c "import mlflow, pytest, pytest_timeout, sys; sys.exit(mlflow.__version__ != '$MLFLOW_PIP_VERSION')" 2> /dev/null; then
  echo "installing mlflow==$MLFLOW_PIP_VERSION, pytest and pytest-timeout into $VENV (once)…" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "mlflow==$MLFLOW_PIP_VERSION" pytest==9.2.0 pytest-timeout==2.4.0
fi

if [ "$TARGET" = fresh ]; then
  export RUNLOG_FRESH=1 RUNLOG_MAIN=$REPO
  unset RUNLOG_BASE_URL
  TAG=fresh
else
  export RUNLOG_BASE_URL=$TARGET
  unset RUNLOG_FRESH
  curl -sf "$TARGET/healthz" > /dev/null || { echo "no Runlog answering at $TARGET/healthz" >&2; exit 2; }
  TAG=shared
fi
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=20 MLFLOW_ENABLE_ASYNC_LOGGING=false
export RUNLOG_DESELECTED_OUT=$OUT/deselected-$TAG.json PYTHONDONTWRITEBYTECODE=1
cd "$WORK"
set +e
"$VENV/bin/python" -m pytest -p no:cacheprovider -c pytest.ini --rootdir "$WORK" \
  tests/tracking/test_rest_tracking.py --timeout 60 -rA --tb=short -q \
  --junitxml "$OUT/junit-$TAG.xml" "$@" 2>&1 | tee "$OUT/pytest-$TAG.log"
status=${PIPESTATUS[0]}
set -e
"$VENV/bin/python" "$HERE/summarize.py" "$OUT/junit-$TAG.xml" "$RUNLOG_DESELECTED_OUT" "$HERE/deselect.json" \
  > "$OUT/summary-$TAG.md"
echo "JUnit: $OUT/junit-$TAG.xml  summary: $OUT/summary-$TAG.md  (pytest exit $status)"
