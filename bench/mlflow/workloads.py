"""The side-by-side workloads, through the mlflow client, against whatever MLFLOW_TRACKING_URI names (MLflow's own
server or Runlog's MLflow dialect). `python workloads.py <workload> '<json options>'` prints one JSON line of
timings; progress goes to stderr. The same file, the same client, for both servers."""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from mlflow import MlflowClient
from mlflow.entities import Metric, Param

client = MlflowClient()


def progress(label, done, total):
    print(f"\r  {label}: {done}/{total}", end="", file=sys.stderr, flush=True)
    if done == total:
        print(file=sys.stderr)


def experiment(name):
    return client.create_experiment(f"{name}-{time.time_ns()}")


def log_series(run_id, keys, steps, batch=1000):
    """Every (key, step) point through log_batch, MLflow's limit of 1,000 metrics a request."""
    now = int(time.time() * 1000)
    points = [Metric(key, float(step % 97) / 97.0, now + step, step) for key in keys for step in range(steps)]
    for start in range(0, len(points), batch):
        client.log_batch(run_id, metrics=points[start : start + batch])
    return len(points)


def ingest(options):
    exp = experiment("ingest")
    runs = [client.create_run(exp).info.run_id for _ in range(options["runs"])]
    keys = [f"key{k}" for k in range(options["keys"])]
    done = 0
    started = time.perf_counter()
    with ThreadPoolExecutor(options["concurrency"]) as pool:
        for logged in pool.map(lambda run_id: log_series(run_id, keys, options["steps"]), runs):
            done += 1
            progress("runs logged", done, len(runs))
    seconds = time.perf_counter() - started
    points = options["runs"] * options["keys"] * options["steps"]
    return {"points": points, "seconds": seconds, "points_per_second": points / seconds}


def history(options):
    exp = experiment("history")
    run_id = client.create_run(exp).info.run_id
    log_series(run_id, ["loss"], options["points"])
    times = []
    for _ in range(options["repeats"]):
        started = time.perf_counter()
        got = client.get_metric_history(run_id, "loss")
        times.append(time.perf_counter() - started)
        assert len(got) == options["points"], len(got)
    return {"points": options["points"], "seconds": sorted(times)[len(times) // 2], "all": times, "run_id": run_id}


def search(options):
    exp = experiment("search")
    total = options["runs"]

    def make(i):
        run_id = client.create_run(exp).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("acc", (i * 7919 % 1000) / 1000.0, int(time.time() * 1000), 0)],
            params=[Param("opt", "adam" if i % 2 == 0 else "sgd"), Param("lr", str(i % 10 / 100))],
        )

    done = 0
    with ThreadPoolExecutor(options["concurrency"]) as pool:
        for _ in pool.map(make, range(total)):
            done += 1
            if done % 100 == 0 or done == total:
                progress("runs made", done, total)
    times = []
    found = 0
    for _ in range(options["repeats"]):
        started = time.perf_counter()
        runs = client.search_runs(
            [exp], filter_string=options["filter"], order_by=options["order_by"], max_results=options["page"]
        )
        pages = [runs]
        while runs.token:
            runs = client.search_runs(
                [exp],
                filter_string=options["filter"],
                order_by=options["order_by"],
                max_results=options["page"],
                page_token=runs.token,
            )
            pages.append(runs)
        times.append(time.perf_counter() - started)
        found = sum(len(page) for page in pages)
    return {
        "runs": total,
        "found": found,
        "seconds": sorted(times)[len(times) // 2],
        "all": times,
        "experiment_id": exp,
    }


def create(options):
    exp = experiment("create")
    latencies = []
    for _ in range(options["runs"]):
        started = time.perf_counter()
        client.create_run(exp)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return {
        "runs": len(latencies),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }


WORKLOADS = {"ingest": ingest, "history": history, "search": search, "create": create}

if __name__ == "__main__":
    result = WORKLOADS[sys.argv[1]](json.loads(sys.argv[2]))
    print(json.dumps(result))
