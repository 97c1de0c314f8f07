"""Root conftest for running MLflow's tests/tracking/test_rest_tracking.py against Runlog.

Replaces MLflow's own tests/conftest.py (which points every test at a local sqlite store) and the
module's server fixtures (removed from the module by patch_module.py): `mlflow_client` yields an
MlflowClient on Runlog's MLflow dialect, with no parametrization over backend stores.

Server selection:
  RUNLOG_BASE_URL=http://host:port   one shared server for every test (run.sh <url>)
  RUNLOG_FRESH=1 + RUNLOG_MAIN=<repo>   a new Runlog server (own data dir) per test (run.sh fresh)
"""
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time

import pytest

import mlflow
from mlflow import MlflowClient

HERE = pathlib.Path(__file__).parent
DESELECT_FILE = HERE / "deselect.json"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_fresh_runlog():
    main = os.environ["RUNLOG_MAIN"]
    port = _free_port()
    data = tempfile.mkdtemp(prefix="runlog-mlflow-test-")
    env = dict(os.environ)
    env.update(RUNLOG_PORT=str(port), RUNLOG_DATA_DIR=data, RUNLOG_LOG_LEVEL="warn")
    env["PATH"] = f"{main}/node_modules/.bin:" + env["PATH"]
    log = open(os.path.join(data, "server.log"), "w")
    proc = subprocess.Popen(
        ["node", "dist/services/standalone/src/main.js"],
        cwd=main, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    deadline = time.time() + 60
    base = None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError(f"runlog exited early, see {data}/server.log")
            continue
        if line.startswith("{") and '"runlog":"ready"' in line.replace(" ", ""):
            base = json.loads(line)["base"]
            break
    if base is None:
        proc.kill()
        raise RuntimeError("runlog did not become ready in 60 s")
    return proc, base, data


@pytest.fixture
def runlog_base():
    base = os.environ.get("RUNLOG_BASE_URL")
    if base:
        yield base.rstrip("/")
        return
    if os.environ.get("RUNLOG_FRESH") != "1":
        raise RuntimeError("set RUNLOG_BASE_URL or RUNLOG_FRESH=1")
    proc, base, data = _start_fresh_runlog()
    try:
        yield base
    finally:
        proc.terminate()  # only the PID this fixture started
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        subprocess.run(["rm", "-rf", data], check=False)


@pytest.fixture
def store_type():
    # Runlog is one store; the module's tests branch on "file" vs "sqlalchemy" only to skip file-store
    # gaps, so Runlog is presented as the database-backed kind.
    return "sqlalchemy"


@pytest.fixture
def db_uri(tmp_path):
    return f"sqlite:///{tmp_path}/unused-by-runlog.db"


@pytest.fixture
def mlflow_client(runlog_base, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", runlog_base)
    mlflow.set_tracking_uri(runlog_base)
    yield MlflowClient(tracking_uri=runlog_base)
    mlflow.set_tracking_uri(None)


@pytest.fixture
def mlflow_client_with_secrets(mlflow_client):
    return mlflow_client


# ---- the parts of MLflow's root conftest that these tests rely on ----
@pytest.fixture(autouse=True)
def reset_active_experiment_id():
    yield
    mlflow.tracking.fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.fixture(autouse=True)
def reset_mlflow_uri():
    yield
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    mlflow.set_registry_uri(None)


@pytest.fixture(autouse=True)
def clean_up_leaked_runs():
    try:
        yield
    finally:
        while mlflow.active_run():
            mlflow.end_run()


@pytest.fixture(autouse=True)
def reset_tracing():
    yield
    try:
        mlflow.tracing.reset()
    except Exception:
        pass


# ---- deselection by category (deselect.json: {category: {"reason": ..., "tests": [names]}}) ----
def pytest_collection_modifyitems(session, config, items):
    spec = json.loads(DESELECT_FILE.read_text())
    by_name = {}
    for cat, entry in spec.items():
        for name in entry["tests"]:
            by_name[name] = cat
    keep, drop, record = [], [], []
    for item in items:
        base_name = item.name.split("[", 1)[0]
        cat = by_name.get(base_name)
        if cat:
            drop.append(item)
            record.append({"nodeid": item.nodeid, "category": cat})
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    out = os.environ.get("RUNLOG_DESELECTED_OUT")
    if out:
        pathlib.Path(out).write_text(json.dumps(record, indent=1))
