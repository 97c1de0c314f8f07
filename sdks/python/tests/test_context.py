"""Context capture on a real git repository and a stand-in nvidia-smi on PATH (this machine has no GPU)."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from runlog._context import capture_context, parse_gpus, strip_credentials

MIB = 1024 * 1024


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@x"
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, stdout=subprocess.PIPE)
    return done.stdout.decode().strip()


def _fake_nvidia_smi(folder: Path, output: str) -> None:
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "sweep-7")
    _git(root, "remote", "add", "origin", "https://user:ghp_secret@github.com/acme/train.git")
    (root / "train.py").write_text("print('a')\n")
    (root / "uv.lock").write_text("lock v1\n")
    _git(root, "add", ".")
    _git(root, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "one")
    return root


def test_the_context_names_the_commit_branch_remote_without_credentials_and_the_lockfile(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    _fake_nvidia_smi(tools, "NVIDIA A100-SXM4-40GB, 40960\nNVIDIA H100, Rev 2, 81559")
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")

    context = capture_context(str(repo), "train.py")

    assert context["code"] == {
        "commit": _git(repo, "rev-parse", "HEAD"),
        "branch": "sweep-7",
        "remote": "https://github.com/acme/train.git",
        "dirty": False,
        "entryPoint": "train.py",
    }
    assert context["environment"]["runtime"] == "python"
    assert context["environment"]["lockfileDigest"] == hashlib.sha256(b"lock v1\n").hexdigest()
    assert context["hardware"]["gpus"] == [
        {"model": "NVIDIA A100-SXM4-40GB", "memoryBytes": 40960 * MIB},
        {"model": "NVIDIA H100, Rev 2", "memoryBytes": 81559 * MIB},
    ]


def test_a_dirty_tree_carries_the_digest_of_its_diff_and_untracked_files_do_not_count(repo: Path) -> None:
    (repo / "notes.log").write_text("untracked\n")
    assert capture_context(str(repo), "")["code"]["dirty"] is False

    (repo / "train.py").write_text("print('b')\n")
    code = capture_context(str(repo), "")["code"]
    diff = subprocess.run(["git", "diff", "--no-color", "HEAD"], cwd=repo, stdout=subprocess.PIPE, check=True).stdout
    assert code["dirty"] is True
    assert code["diffDigest"] == hashlib.sha256(diff).hexdigest()


def test_outside_a_repository_and_without_nvidia_smi_those_fields_are_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))

    context = capture_context(str(empty), "train.py")

    assert "code" not in context
    assert context["hardware"]["gpus"] == []


def test_gpu_lines_that_are_blank_or_lack_a_memory_figure_keep_the_model_alone() -> None:
    assert parse_gpus("\n  \nTesla T4, [N/A]\nRTX\n") == [{"model": "Tesla T4"}, {"model": "RTX"}]
    assert len(parse_gpus("\n".join(f"GPU {n}, 1" for n in range(100)))) == 64


@pytest.mark.parametrize(
    ("remote", "shown"),
    [
        ("https://token@github.com/a/b.git", "https://github.com/a/b.git"),
        ("ssh://git:secret@host:22/a/b.git", "ssh://git@host:22/a/b.git"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
    ],
)
def test_a_remote_loses_its_credentials(remote: str, shown: str) -> None:
    assert strip_credentials(remote) == shown
