"""The Python SDK's cost in a tight training loop logging three metrics a step, and the rate one process's points
reach the server. Run by `npm run bench:sdk -- --python` (bench/sdk-overhead.bench.ts), which starts the server;
prints one JSON line."""

from __future__ import annotations

import json
import math
import sys
import time

import runlog


def train(step: int) -> tuple[float, float, float]:
    loss = 1 / (1 + step) + math.sin(step) * 1e-3
    return loss, 1 - loss, 1e-3 * math.cos(step / 1000)


def main(url: str, steps: int) -> None:
    sink = 0.0
    started = time.perf_counter_ns()
    for step in range(steps):
        loss, acc, lr = train(step)
        sink += loss
    bare_ns = time.perf_counter_ns() - started

    client = runlog.Client(url, flush_on_exit=False)
    run = client.start_run("sdk-overhead-python", capture_context=False)
    started = time.perf_counter_ns()
    for step in range(steps):
        loss, acc, lr = train(step)
        sink += loss
        run.log({"train/loss": loss, "train/acc": acc, "train/lr": lr}, step)
    logged_ns = time.perf_counter_ns() - started
    drain_started = time.perf_counter_ns()
    run.finish(600)
    client.close(600)
    drain_ns = time.perf_counter_ns() - drain_started
    print(
        json.dumps(
            {
                "steps": steps,
                "points": steps * 3,
                "loopWithoutSdkMs": round(bare_ns / 1e6),
                "loopWithSdkMs": round(logged_ns / 1e6),
                "sdkOverheadPerStepUs": round((logged_ns - bare_ns) / steps / 1000, 2),
                "drainAfterLoopMs": round(drain_ns / 1e6),
                "pointsPerSecondToServer": round(steps * 3 / ((logged_ns + drain_ns) / 1e9)),
                "python": sys.version.split()[0],
                "sink": round(sink),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300_000)
