"""MLflow 3's model path through the unchanged client: log_model (a logged model), register_model, an alias, a
stage, version tags and descriptions, a version deleted, search, and the model loaded back by alias and by version
and asked to predict. One JSON line out."""
import json
import sys
import warnings

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput

warnings.filterwarnings("ignore")


class AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n):
        self.n = n

    def predict(self, context, model_input, params=None):
        return model_input + self.n


def version_read(v):
    return {
        "name": v.name,
        "version": v.version,
        "run_id": v.run_id,
        "status": v.status,
        "current_stage": v.current_stage,
        "aliases": sorted(v.aliases),
        "source": v.source,
        "tags": dict(v.tags),
        "description": v.description,
    }


def main():
    spec = json.load(sys.stdin)
    client = MlflowClient()
    mlflow.set_experiment(spec["experiment"])
    with mlflow.start_run() as run:
        mlflow.log_param("n", spec["n"])
        logged = mlflow.pyfunc.log_model(name="model", python_model=AddN(spec["n"]))
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", spec["model"])
    client.set_registered_model_alias(spec["model"], "champion", version.version)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.transition_model_version_stage(spec["model"], version.version, "Staging")
    with mlflow.start_run() as second_run:
        second = mlflow.pyfunc.log_model(
            name="model", python_model=AddN(spec["n"] * 10), registered_model_name=spec["model"]
        )
    # A version's own record: tags set and deleted, a description, and a third version (with tags at creation)
    # deleted with its alias; the number after it is 4.
    client.set_model_version_tag(spec["model"], "2", "validated", "yes")
    client.set_model_version_tag(spec["model"], "2", "scratch", "x")
    client.delete_model_version_tag(spec["model"], "2", "scratch")
    client.update_model_version(spec["model"], "2", description="ten times")
    third = mlflow.register_model(f"runs:/{run.info.run_id}/model", spec["model"], tags={"from": "first"})
    third_tags = dict(client.get_model_version(spec["model"], third.version).tags)
    client.set_registered_model_alias(spec["model"], "doomed", third.version)
    client.delete_model_version(spec["model"], third.version)
    try:
        client.get_model_version(spec["model"], third.version)
        deleted_error = None
    except mlflow.exceptions.MlflowException as error:
        deleted_error = error.error_code
    fourth = mlflow.register_model(f"runs:/{run.info.run_id}/model", spec["model"])
    # A run that read the first logged model (a fine-tune of it): a model input, not a dataset.
    with mlflow.start_run() as finetune:
        client.log_inputs(finetune.info.run_id, models=[LoggedModelInput(logged.model_id)])
    finetune_inputs = client.get_run(finetune.info.run_id).inputs
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    by_alias = mlflow.pyfunc.load_model(f"models:/{spec['model']}@champion").predict(frame)
    by_version = mlflow.pyfunc.load_model(f"models:/{spec['model']}/2").predict(frame)
    model = client.get_registered_model(spec["model"])
    print(
        json.dumps(
            {
                "run_id": run.info.run_id,
                "second_run_id": second_run.info.run_id,
                "model_id": logged.model_id,
                "second_model_id": second.model_id,
                "logged_source_run": client.get_logged_model(logged.model_id).source_run_id,
                "logged_status": str(client.get_logged_model(logged.model_id).status),
                "run_outputs": [o.model_id for o in client.get_run(run.info.run_id).outputs.model_outputs],
                "by_alias": by_alias["x"].tolist(),
                "by_version": by_version["x"].tolist(),
                "versions": [version_read(v) for v in client.search_model_versions(f"name = '{spec['model']}'")],
                "aliases": {a: v for a, v in model.aliases.items()},
                "third": {"version": third.version, "tags": third_tags, "deleted_error": deleted_error},
                "fourth": fourth.version,
                "finetune_run_id": finetune.info.run_id,
                "finetune_inputs": {
                    "models": [m.model_id for m in finetune_inputs.model_inputs],
                    "datasets": len(finetune_inputs.dataset_inputs),
                },
                "tagged": [
                    v.version
                    for v in client.search_model_versions(
                        f"name = '{spec['model']}' and tags.validated = 'yes'"
                    )
                ],
                "ordered": [
                    v.version
                    for v in client.search_model_versions(
                        f"name = '{spec['model']}'", order_by=["version_number ASC"]
                    )
                ],
                "searched": [m.name for m in client.search_registered_models(f"name = '{spec['model']}'")],
                "runs_in_experiment": sorted(
                    r.info.run_id for r in client.search_runs([run.info.experiment_id])
                ),
            }
        )
    )


main()
