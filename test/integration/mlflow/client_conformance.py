"""What MLflow's own REST tests (tests/tracking/test_rest_tracking.py) found missing, checked through the unchanged
client and raw HTTP as those tests do: a logged model as the first write of a fresh server, experiment tags,
delete-tag's errors, a nested field named by its path, the UI's bulk history reads, MLflow's tie order in
search, a deleted logged model, and a logged model's tag deleted by a bodiless DELETE. One JSON line out."""
import json
import sys

import requests
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric
from mlflow.exceptions import MlflowException


def error_of(call):
    try:
        call()
    except MlflowException as error:
        return {"code": error.error_code, "message": error.message}
    return None


def main():
    spec = json.load(sys.stdin)
    client = MlflowClient()
    base = client.tracking_uri
    out = {}

    # Before anything else: Default is made for a logged model too.
    model = client.create_logged_model(experiment_id="0", name="first")
    out["first_model_experiment"] = model.experiment_id

    experiment_id = client.create_experiment(spec["experiment"], tags={"team": "vision", "data set": "in-1k"})
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.set_experiment_tag(experiment_id, "empty", "")
    client.delete_experiment_tag(experiment_id, "team")
    out["experiment_tags"] = dict(client.get_experiment(experiment_id).tags)
    out["missing_tag_delete"] = error_of(lambda: client.delete_experiment_tag(experiment_id, "nope"))
    out["searched_by_tag"] = [
        e.experiment_id for e in client.search_experiments(filter_string="tags.stage = 'dev'")
    ]
    out["searched_by_spaced_tag"] = [
        e.experiment_id for e in client.search_experiments(filter_string="tags.`data set` LIKE 'in%'")
    ]

    run_id = client.create_run(experiment_id).info.run_id
    orphan = client.create_run(experiment_id, tags={"mlflow.parentRunId": "no-such-run"}).info.run_id
    out["orphan"] = [orphan, client.get_run(orphan).data.tags.get("mlflow.parentRunId")]
    client.set_tag(run_id, "taggity", "do-dah")
    out["unknown_run_tag_delete"] = error_of(lambda: client.delete_tag("fake_run_id", "taggity"))
    out["missing_tag_delete_run"] = error_of(lambda: client.delete_tag(run_id, "fakeTag"))
    client.delete_tag(run_id, "taggity")
    out["run_tags_after_delete"] = sorted(k for k in client.get_run(run_id).data.tags if not k.startswith("mlflow."))

    dataset = Dataset(name="name1", digest="digest1", source_type="source_type1", source="source1")
    client.log_inputs(run_id, [DatasetInput(dataset=dataset, tags=[InputTag(key="mlflow.data.context", value="training")])])
    summaries = requests.post(
        f"{base}/ajax-api/2.0/mlflow/experiments/search-datasets", json={"experiment_ids": [experiment_id]}
    )
    out["datasets"] = summaries.json().get("dataset_summaries")

    batch = requests.post(
        f"{base}/api/2.0/mlflow/runs/log-batch", json={"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5}]}
    )
    out["batch_missing_timestamp"] = [batch.status_code, batch.json().get("message", "")]

    # The UI's bulk reads: every point of one key over runs, and MLflow's step sample.
    runs = [client.create_run(experiment_id).info.run_id for _ in range(2)]
    for index, other in enumerate(runs):
        for step in range(10 * (index + 1)):
            client.log_metric(other, "metricA", 10.0 + step, timestamp=1, step=step)
    bulk = requests.get(
        f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk",
        params={"run_id": runs, "metric_key": "metricA", "max_results": 15},
    )
    out["bulk"] = [(m["run_id"] == runs[1], m["step"], m["value"]) for m in bulk.json()["metrics"]]
    interval = requests.get(
        f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={"run_ids": runs, "metric_key": "metricA", "max_results": 5},
    )
    out["interval"] = [(m["run_id"] == runs[1], m["step"]) for m in interval.json()["metrics"]]
    ranged = requests.get(
        f"{base}/api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={"run_ids": runs[:1], "metric_key": "metricA", "start_step": 0, "end_step": 4, "max_results": 5},
    )
    out["interval_ranged"] = [m["step"] for m in ranged.json()["metrics"]]
    # Many points at one step (MLflow's default step is 0): the sampled read is bounded per run.
    crowded = client.create_run(experiment_id).info.run_id
    client.log_batch(crowded, metrics=[Metric("metricA", float(i), i, 0) for i in range(1000)])
    bounded = requests.get(
        f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={"run_ids": [crowded], "metric_key": "metricA", "max_results": 5},
    )
    out["crowded"] = len(bounded.json()["metrics"])
    refused = requests.get(
        f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
        params={"run_ids": runs, "metric_key": "metricA", "start_step": 1},
    )
    out["interval_refused"] = [refused.status_code, refused.json().get("error_code")]

    # Ties on start_time order by run id, as MLflow orders them.
    tied = [client.create_run(experiment_id, start_time=1).info.run_id for _ in range(6)]
    found = client.search_runs([experiment_id], filter_string="attributes.start_time = 1")
    out["tied"] = [run.info.run_id for run in found] == sorted(tied)

    tagged = client.create_logged_model(experiment_id=experiment_id, name="tagged", tags={"a": "1", "b": "2"})
    client.delete_logged_model_tag(tagged.model_id, "a")
    out["model_tags"] = dict(client.get_logged_model(tagged.model_id).tags)
    client.delete_logged_model(tagged.model_id)
    out["deleted_model"] = error_of(lambda: client.get_logged_model(tagged.model_id))
    out["experiment_id"] = experiment_id
    # A deleted experiment's tags stay as they were; restored, it takes them again.
    archived = client.create_experiment(spec["experiment"] + "-archived", tags={"kept": "yes"})
    client.delete_experiment(archived)
    out["archived_tag"] = error_of(lambda: client.set_experiment_tag(archived, "kept", "no"))
    client.restore_experiment(archived)
    client.set_experiment_tag(archived, "kept", "again")
    out["restored_tags"] = dict(client.get_experiment(archived).tags)
    print(json.dumps(out))


main()
