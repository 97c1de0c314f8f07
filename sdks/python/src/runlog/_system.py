"""Optional system metrics (the `system` extra, psutil): CPU, memory and this process, as `system/...` series of
the run, sampled on a thread of their own, so a slow sample never delays the training loop."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Dict

if TYPE_CHECKING:
    from ._run import Run

logger = logging.getLogger("runlog")


def sample() -> Dict[str, float]:
    import psutil

    memory = psutil.virtual_memory()
    process = psutil.Process()
    return {
        "system/cpu/util_percent": float(psutil.cpu_percent(interval=None)),
        "system/memory/used_bytes": float(memory.total - memory.available),
        "system/memory/util_percent": float(memory.percent),
        "system/process/rss_bytes": float(process.memory_info().rss),
        "system/process/cpu_percent": float(process.cpu_percent(interval=None)),
    }


class SystemSampler:
    def __init__(self, run: "Run", interval: float) -> None:
        try:
            import psutil  # noqa: F401
        except ImportError:
            logger.warning("runlog: system metrics need psutil: pip install 'runlog[system]'")
            self._stop = threading.Event()
            return
        self._run = run
        self._interval = max(0.1, interval)
        self._stop = threading.Event()
        threading.Thread(target=self._loop, name="runlog-system-metrics", daemon=True).start()

    def _loop(self) -> None:
        step = 0
        sample()  # psutil's CPU percentages are since the previous call: the first one primes them
        while not self._stop.wait(self._interval):
            if self._run.ended:
                return
            try:
                self._run.log_at(sample(), step)
            except Exception as error:  # noqa: BLE001 - sampling never ends a run
                logger.debug("runlog: a system metrics sample failed: %r", error)
            step += 1

    def stop(self) -> None:
        self._stop.set()
