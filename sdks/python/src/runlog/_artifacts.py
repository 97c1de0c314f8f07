"""A run's artifacts: files streamed from disk (reopened on each retry, their size taken then), bytes held until
sent within the client's `max_queued_bytes`, and folders kept in their layout."""

from __future__ import annotations

import logging
import os
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ._checks import check_artifact_path

if TYPE_CHECKING:
    from ._client import Client

logger = logging.getLogger("runlog")


class QueueFullError(RuntimeError):
    """An upload given as bytes found `max_queued_bytes` waiting to be sent: it was dropped (and counted)."""


class ArtifactsMixin:
    if TYPE_CHECKING:
        _client: Client
        dropped_uploads: int

        def _queue(self, path: str, body: Optional[Dict[str, Any]] = None, **fields: Any) -> "Future[Any]": ...

    def log_artifact(
        self, local_path: str, path: Optional[str] = None, content_type: Optional[str] = None
    ) -> "Future[Any]":
        """Uploads a file, streamed from disk (a checkpoint of any size), under `path` (default: its name)."""
        if not os.path.isfile(local_path):
            raise FileNotFoundError(local_path)
        target = path if path is not None else os.path.basename(local_path)
        return self._upload(target, content_type or "application/octet-stream", file=local_path)

    def log_artifact_bytes(
        self, path: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> "Future[Any]":
        return self._upload(path, content_type, raw=bytes(data))

    def log_artifact_dir(self, local_dir: str, prefix: Optional[str] = None) -> List["Future[Any]"]:
        """Every file under a folder, keeping its layout under `prefix` (default: the folder's name), in path order."""
        base = os.path.abspath(local_dir)
        prefix = os.path.basename(base) if prefix is None else prefix.strip("/")
        files: List[str] = []
        for folder, _, names in os.walk(base):
            files.extend(os.path.relpath(os.path.join(folder, name), base).replace(os.sep, "/") for name in names)
        return [
            self.log_artifact(os.path.join(base, *file.split("/")), f"{prefix}/{file}" if prefix else file)
            for file in sorted(files)
        ]

    def _upload(self, path: str, content_type: str, **content: Any) -> "Future[Any]":
        from urllib.parse import quote

        path = check_artifact_path(path)
        raw = content.get("raw")
        if raw is not None:
            client = self._client
            with client._lock:
                if client.queued_bytes + len(raw) > client.max_queued_bytes and client.queued_bytes > 0:
                    self.dropped_uploads += 1
                    logger.warning(
                        "runlog: %d bytes of uploads wait to be sent (max_queued_bytes): %s dropped",
                        client.queued_bytes,
                        path,
                    )
                    dropped: "Future[Any]" = Future()
                    dropped.set_exception(QueueFullError(f"{path}: max_queued_bytes of uploads wait to be sent"))
                    return dropped
                client.queued_bytes += len(raw)
            content["size"] = len(raw)
        return self._queue(f"artifacts/{quote(path, safe='/')}", method="PUT", content_type=content_type, **content)
