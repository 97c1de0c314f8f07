"""Logs with the unchanged client to its file store (the folder named on stdin's JSON) or to a tracking server
(its tracking_uri), and prints the ids."""
import json
import warnings
import os
import sys
import tempfile

import mlflow

spec = json.load(sys.stdin)
mlflow.set_tracking_uri(spec.get("tracking_uri") or f"file://{spec['folder']}")
mlflow.set_experiment(spec.get("experiment", "imported"))
with mlflow.start_run(run_name="parent") as parent:
    mlflow.log_params({"lr": 0.1, "opt": "adam"})
    for step in range(spec["steps"]):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metric("weird", float("nan"), step=5)
    mlflow.log_metric("weird", float("inf"), step=6)
    mlflow.set_tag("team", "a")
    folder = tempfile.mkdtemp()
    os.makedirs(os.path.join(folder, "sub"))
    with open(os.path.join(folder, "n.txt"), "w") as handle:
        handle.write("hi")
    with open(os.path.join(folder, "sub", "m.json"), "w") as handle:
        handle.write("{}")
    mlflow.log_artifacts(folder)
    with mlflow.start_run(run_name="child", nested=True) as child:
        mlflow.log_param("seed", 1)
with mlflow.start_run(run_name="gone") as gone:
    pass
mlflow.delete_run(gone.info.run_id)

# The registry: a model folder registered twice, an alias on the first version, the second in Production.
with mlflow.start_run(run_name="trained") as trained:
    mlflow.log_text("flavors: {}\n", "model/MLmodel")
client = mlflow.MlflowClient()
client.create_registered_model(spec["model"], tags={"team": "a"}, description="the classifier")
source = f"runs:/{trained.info.run_id}/model"
first = client.create_model_version(spec["model"], source, run_id=trained.info.run_id)
second = client.create_model_version(spec["model"], source, run_id=trained.info.run_id)
client.set_registered_model_alias(spec["model"], "champion", first.version)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    client.transition_model_version_stage(spec["model"], second.version, "Production")
kept = mlflow.get_run(parent.info.run_id).info
times = {"start": kept.start_time, "end": kept.end_time}
print(json.dumps({"parent": parent.info.run_id, "child": child.info.run_id, "gone": gone.info.run_id, "trained": trained.info.run_id, "times": times}))
