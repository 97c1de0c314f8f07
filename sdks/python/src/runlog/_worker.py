"""Distributed training: the processes of one job log into one run, each batch labelled with its worker: the
client's `worker` option; else `RANK` (torchrun, torch.distributed, DeepSpeed, Accelerate); else `LOCAL_RANK`; else
none (the server's default worker). `worker=None` turns the label off even where a launcher set RANK."""

from __future__ import annotations

import os
import re
from typing import Mapping, Optional

WORKER_LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,64}\Z")
RANK_VARIABLES = ("RANK", "LOCAL_RANK")


def resolve_worker(option: Optional[str], explicit: bool, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    if explicit:
        if option is None:
            return None
        if not isinstance(option, str) or not WORKER_LABEL.match(option):
            raise ValueError(f"worker must be 1-64 of A-Z a-z 0-9 _ . : - (got {option!r})")
        return option
    environment = os.environ if env is None else env
    for name in RANK_VARIABLES:
        value = environment.get(name, "").strip()
        if value and WORKER_LABEL.match(value):
            return value
    return None
