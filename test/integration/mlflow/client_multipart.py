"""MLflow's proxied multipart upload through the unchanged client: a file logged in parts (sent in parallel to the
URLs the server named), downloaded back whole. One JSON line out: the digests sent and read."""
import hashlib
import json
import os
import sys
import tempfile

spec = json.load(sys.stdin)
# Read by the client at each upload: a file over the minimum goes in parts of the chunk size.
os.environ["MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"] = "true"
os.environ["MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"] = str(spec["chunk"])
os.environ["MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"] = str(spec["chunk"])

import mlflow  # noqa: E402
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository  # noqa: E402

# Counted, so that the test knows the file went in parts and not by the single PUT the client falls back to.
sent_parts = []
upload_part = HttpArtifactRepository._upload_part


def counted_upload_part(credential, *args, **kwargs):
    sent_parts.append(credential.part_number)
    return upload_part(credential, *args, **kwargs)


HttpArtifactRepository._upload_part = staticmethod(counted_upload_part)

content = hashlib.sha256(spec["seed"].encode()).digest() * (spec["size"] // 32 + 1)
content = content[: spec["size"]]
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "large.bin")
    with open(path, "wb") as out:
        out.write(content)
    mlflow.set_experiment(spec["experiment"])
    with mlflow.start_run() as run:
        mlflow.log_artifact(path, artifact_path="big")
    back = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="big/large.bin", dst_path=folder + "/back"
    )
    with open(back, "rb") as read:
        received = read.read()
print(
    json.dumps(
        {
            "run_id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "sent": hashlib.sha256(content).hexdigest(),
            "received": hashlib.sha256(received).hexdigest(),
            "size": len(received),
            "parts": sorted(sent_parts),
        }
    )
)
