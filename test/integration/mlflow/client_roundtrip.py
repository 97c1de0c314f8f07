"""Drives the unchanged MLflow client against a tracking server: logs what stdin's JSON says, reads it all back,
and prints what it read as one JSON line. The test compares both with what it sent."""
import json
import math
import os
import sys
import tempfile

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag


def number(value):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def run_read(client, run_id):
    run = client.get_run(run_id)
    return {
        "run_id": run.info.run_id,
        "name": run.info.run_name,
        "status": run.info.status,
        "experiment_id": run.info.experiment_id,
        "artifact_uri": run.info.artifact_uri,
        "params": run.data.params,
        "metrics": {key: number(value) for key, value in run.data.metrics.items()},
        "tags": run.data.tags,
        "datasets": [
            {
                "name": d.dataset.name,
                "digest": d.dataset.digest,
                "source_type": d.dataset.source_type,
                "source": d.dataset.source,
                "profile": d.dataset.profile,
                "schema": d.dataset.schema,
                "input_tags": {t.key: t.value for t in d.tags},
            }
            for d in run.inputs.dataset_inputs
        ],
    }


def main():
    spec = json.load(sys.stdin)
    client = MlflowClient()
    experiment = mlflow.set_experiment(spec["experiment"])
    with mlflow.start_run(run_name=spec["run_name"]) as parent:
        mlflow.log_params(spec["params"])
        for key, points in spec["per_step"].items():
            for step, value in points:
                mlflow.log_metric(key, float(value), step=step)
        for step, values in spec["batched"]:
            mlflow.log_metrics({key: float(value) for key, value in values.items()}, step=step)
        mlflow.set_tags(spec["tags"])
        data = spec["dataset"]
        dataset = Dataset(
            name=data["name"],
            digest=data["digest"],
            source_type=data["source_type"],
            source=data["source"],
            schema=data["schema"],
            profile=data["profile"],
        )
        client.log_inputs(
            parent.info.run_id,
            datasets=[
                DatasetInput(
                    dataset,
                    tags=[InputTag(key, value) for key, value in data["input_tags"].items()],
                )
            ],
        )
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_param("seed", spec["child_seed"])
        folder = tempfile.mkdtemp()
        single = os.path.join(folder, "notes.txt")
        with open(single, "w") as handle:
            handle.write(spec["artifact"])
        mlflow.log_artifact(single)
        tree = os.path.join(folder, "tree")
        os.makedirs(os.path.join(tree, "deep"))
        for name, content in spec["tree"].items():
            with open(os.path.join(tree, name), "w") as handle:
                handle.write(content)
        mlflow.log_artifacts(tree, artifact_path="outputs")
    run_id = parent.info.run_id
    histories = {
        key: [[m.step, number(m.value), m.timestamp] for m in client.get_metric_history(run_id, key)]
        for key in list(spec["per_step"]) + list(spec["batched"][0][1])
    }
    downloaded = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="outputs")
    tree_back = {}
    for root, _dirs, files in os.walk(downloaded):
        for name in files:
            path = os.path.join(root, name)
            with open(path) as handle:
                tree_back[os.path.relpath(path, downloaded)] = handle.read()
    with open(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="notes.txt")) as handle:
        single_back = handle.read()
    found = client.search_runs(
        [experiment.experiment_id], filter_string=spec["filter"], order_by=spec["order_by"]
    )
    print(
        json.dumps(
            {
                "experiment_id": experiment.experiment_id,
                "by_name": client.get_experiment_by_name(spec["experiment"]).experiment_id,
                "parent": run_read(client, run_id),
                "child": run_read(client, child.info.run_id),
                "histories": histories,
                "listed": sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id)),
                "listed_outputs": sorted((f.path, f.is_dir) for f in client.list_artifacts(run_id, "outputs")),
                "artifact": single_back,
                "tree": tree_back,
                "searched": [r.info.run_id for r in found],
            }
        )
    )


main()
