#!/usr/bin/env python
"""Build tests/data/aws_request_logs_mahmoudi_khazaei.npz from the per-request AWS Lambda logs Mahmoudi and Khazaei
published with "Performance Modeling of Serverless Computing Platforms" (IEEE Transactions on Cloud Computing, 2020):
github.com/pacslab/serverless-performance-modeling, ``experiments/results/res-01-*.csv`` (MIT licence, (c) 2020 Nima
Mahmoudi). Each file is one 28 h experiment: a Python 3.6 function of 128 MB running about 1.85 s, invoked
synchronously at Poisson arrivals of a fixed rate; a row per request with, among others, ``is_cold``, the
environment's id (``exist_id``), the function's own duration (``aws_duration``, ms) and the client's start time and
elapsed time (s).

The compact file keeps, per experiment (key prefix ``e<k>_``, k in order of rate): the gaps between client start
times (ms, uint32, the first one from 0), the cold flags, the environment index (order of first use, uint16), the
function's duration (ms, uint16) and the client's elapsed time (ms, uint16). The repository stores eleven of its
experiment files in git (the others are absent from its history's snapshot): rates 0.0019 to 0.1 per second.

Usage::

    python tools/aws_request_logs.py /path/to/serverless-performance-modeling [--out tests/data/...npz]

The path is a checkout, or a bare git directory (read with ``git show``).
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "aws_request_logs_mahmoudi_khazaei.npz"


def _files(repo: Path) -> dict[str, str]:
    """The experiment CSVs' text by file name, from a checkout or a bare git directory."""
    results = repo / "experiments" / "results"
    if results.is_dir():
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(results.glob("res-01-*.csv"))}
    names = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "--name-only", "HEAD", "experiments/results/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    texts = {}
    for name in names:
        if not name.endswith(".csv"):
            continue
        command = ["git", "--git-dir", str(repo), "show", f"HEAD:{name}"]
        shown = subprocess.run(command, check=False, capture_output=True, text=True)
        if shown.returncode == 0:  # a blob absent from the snapshot is skipped
            texts[Path(name).name] = shown.stdout
    return texts


def _experiment(text: str) -> dict[str, np.ndarray]:
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: float(r["client_start_time"]))
    start = np.array([float(r["client_start_time"]) for r in rows])
    ms = np.round((start - start[0]) * 1000.0).astype(np.int64)
    envs: dict[str, int] = {}
    return {
        "gaps_ms": np.diff(ms, prepend=0).astype(np.uint32),
        "cold": np.array([r["is_cold"].strip().lower() == "true" for r in rows]),
        "environment": np.array([envs.setdefault(r["exist_id"], len(envs)) for r in rows], dtype=np.uint16),
        "duration_ms": np.array([round(float(r["aws_duration"])) for r in rows], dtype=np.uint16),
        "elapsed_ms": np.array([round(float(r["client_elapsed_time"]) * 1000.0) for r in rows], dtype=np.uint16),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "repo", type=Path, help="checkout or bare git directory of pacslab/serverless-performance-modeling"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    experiments = [(name, _experiment(text)) for name, text in _files(args.repo).items()]
    # in order of arrival rate: requests per second of the span
    experiments.sort(key=lambda e: len(e[1]["cold"]) / max(int(e[1]["gaps_ms"].sum()), 1))
    arrays: dict[str, np.ndarray] = {"files": np.array([name for name, _ in experiments])}
    for k, (_, exp) in enumerate(experiments):
        for key, value in exp.items():
            arrays[f"e{k}_{key}"] = value
    np.savez_compressed(args.out, **arrays)
    print(f"{args.out}: {len(experiments)} experiments, {args.out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
