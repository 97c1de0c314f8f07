"""What a run was made from and on (the server's RunContext, as libs/sdk records it): git commit, branch, remote
without credentials, dirty flag and the sha256 of `git diff HEAD`, entry point; the interpreter and platform, the
digest of the lockfile found (else of `pip freeze`); CPU, memory, GPUs through nvidia-smi; user and host. Never
raises: a field that cannot be read is left out, and every command has a deadline."""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

from ._checks import clean_text

TIMEOUT_SECONDS = 2.0
FREEZE_TIMEOUT_SECONDS = 5.0
MIB = 1024 * 1024
#: Python's lockfiles, the first found standing for the dependencies (else `pip freeze`).
LOCKFILES = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "requirements.txt", "environment.yml")
GIT = ["git", "--no-optional-locks"]
#: The digest must not change with a user's diff settings (prefixes, algorithm, colour, tools, diff.relative).
DIFF = [
    *["-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "-c", "diff.relative=false", "diff"],
    *["--no-color", "--no-ext-diff", "--no-textconv", "--diff-algorithm=myers", "HEAD"],
]


def _run(args: List[str], cwd: str, timeout: float = TIMEOUT_SECONDS) -> Optional[bytes]:
    try:
        done = subprocess.run(
            args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=timeout
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _text(output: Optional[bytes]) -> str:
    return output.decode("utf-8", "replace").strip() if output is not None else ""


def _bounded(value: str, limit: int = 256) -> str:
    return value[:limit]


def strip_credentials(remote: str) -> str:
    """Credentials in a remote would end up in everyone's view of the run: https tokens sit in the user part too."""
    remote = re.sub(r"^(https?://)[^/?#]*@", r"\1", remote, flags=re.I)
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/?#:@]*):[^/?#]*@", r"\1@", remote, flags=re.I)


def capture_context(cwd: Optional[str] = None, entry_point: Optional[str] = None) -> Dict[str, Any]:
    where = cwd or os.getcwd()
    context: Dict[str, Any] = {}
    code = _code(where, entry_point if entry_point is not None else (sys.argv[0] if sys.argv else ""))
    repo = code.pop("_root", None)
    if code:
        context["code"] = code
    environment: Dict[str, Any] = {
        "runtime": "python",
        "runtimeVersion": platform.python_version(),
        "platform": sys.platform,
        "arch": platform.machine() or "unknown",
    }
    digest = _lockfile_digest(repo or where)
    if digest:
        environment["lockfileDigest"] = digest
    image = os.environ.get("RUNLOG_CONTAINER_IMAGE_DIGEST", "").strip()
    if image:
        environment["containerImageDigest"] = _bounded(image)
    context["environment"] = environment
    context["hardware"] = _hardware(where)
    try:
        context["user"] = _bounded(getpass.getuser())
    except Exception:  # noqa: BLE001 - no passwd entry for this uid, as in many containers
        pass
    host = socket.gethostname()
    if host:
        context["host"] = _bounded(host)
    return context


def _code(cwd: str, entry: str) -> Dict[str, Any]:
    commands = {
        "root": ["rev-parse", "--show-toplevel"],
        "head": ["rev-parse", "HEAD"],
        "branch": ["rev-parse", "--abbrev-ref", "HEAD"],
        "remote": ["config", "--get", "remote.origin.url"],
        # Untracked files are left out: build outputs and logs would make nearly every run dirty.
        "status": ["status", "--porcelain", "--untracked-files=no"],
        "diff": DIFF,
    }
    # At once, each with its deadline: a slow repository costs one deadline, not six.
    with ThreadPoolExecutor(len(commands)) as pool:
        futures = {name: pool.submit(_run, [*GIT, *args], cwd) for name, args in commands.items()}
        out = {name: future.result() for name, future in futures.items()}
    root = _text(out["root"])
    if not root:
        return {}
    code: Dict[str, Any] = {"_root": root}
    head = _text(out["head"])
    if re.fullmatch(r"[0-9a-f]{7,64}", head):
        code["commit"] = head
    branch = _text(out["branch"])
    if branch and branch != "HEAD":
        code["branch"] = _bounded(clean_text(branch))
    remote = _text(out["remote"])
    if remote:
        code["remote"] = _bounded(clean_text(strip_credentials(remote)), 1024)
    status = out["status"]
    if status is not None:
        code["dirty"] = status.strip() != b""
        if code["dirty"] and out["diff"] is not None:
            code["diffDigest"] = hashlib.sha256(out["diff"]).hexdigest()
    if entry:
        absolute = os.path.realpath(os.path.join(cwd, entry))
        relative = os.path.relpath(absolute, os.path.realpath(root))
        shown = entry if relative.startswith("..") or os.path.isabs(relative) else relative.replace(os.sep, "/")
        code["entryPoint"] = _bounded(clean_text(shown), 1024)
    return code


def _lockfile_digest(folder: str) -> Optional[str]:
    for name in LOCKFILES:
        try:
            with open(os.path.join(folder, name), "rb") as file:
                return hashlib.sha256(file.read()).hexdigest()
        except OSError:
            continue
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--all"], folder, FREEZE_TIMEOUT_SECONDS)
    return hashlib.sha256(frozen).hexdigest() if frozen else None


def _hardware(cwd: str) -> Dict[str, Any]:
    hardware: Dict[str, Any] = {"cpuModel": _bounded(_cpu_model()), "cpuCount": os.cpu_count() or 0}
    try:
        hardware["memoryBytes"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        hardware["memoryBytes"] = 0
    gpus = _text(_run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], cwd))
    hardware["gpus"] = parse_gpus(gpus)
    return hardware


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def parse_gpus(csv: str) -> List[Dict[str, Any]]:
    """`NVIDIA A100-SXM4-40GB, 40960` per line (MiB); a name may hold commas, so the memory is after the last."""
    gpus: List[Dict[str, Any]] = []
    for line in [line for line in csv.splitlines() if line.strip()][:64]:
        name, _, memory = line.rpartition(",")
        if not name:
            name, memory = line, ""
        gpu: Dict[str, Any] = {"model": _bounded(name.strip())}
        try:
            mib = float(memory.strip())
            if mib >= 0:
                gpu["memoryBytes"] = round(mib * MIB)
        except ValueError:
            pass
        gpus.append(gpu)
    return gpus


def file_digest(path: str) -> str:
    """`sha256:<hex>` of a file's bytes, streamed: the digest to give `log_input` for a dataset file."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"
