"""The per-request AWS Lambda logs of Mahmoudi and Khazaei's experiments, as :class:`lambdasim.calibrate.RequestLog`.

tests/data/aws_request_logs_mahmoudi_khazaei.npz is derived by tools/aws_request_logs.py from the CSV files of
github.com/pacslab/serverless-performance-modeling (experiments/results, MIT licence, (c) 2020 Nima Mahmoudi), the
data of "Performance Modeling of Serverless Computing Platforms" (N. Mahmoudi and H. Khazaei, IEEE Transactions on
Cloud Computing, 2020): eleven 28 h experiments of a Python function of about 1.85 s, Poisson arrivals at 0.0018 to
0.1 per second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lambdasim import calibrate as cal

DATA = Path(__file__).parent / "data" / "aws_request_logs_mahmoudi_khazaei.npz"
HORIZON_S = 28 * 3600.0
"""Each experiment ran 28 h (the client's Poisson generator; its logs span 27.7 to 28.0 h)."""
IDLE_ALLOWANCE_S = 600.0
"""The authors count an environment until 10 min after its last request (their idle_mins_before_kill)."""


def load(path: Path = DATA) -> list[cal.RequestLog]:
    """The experiments in order of arrival rate."""
    with np.load(path) as data:
        logs = []
        for k in range(len(data["files"])):
            times = np.cumsum(data[f"e{k}_gaps_ms"].astype(np.int64)) / 1000.0
            logs.append(
                cal.RequestLog(
                    times_s=times,
                    durations_s=data[f"e{k}_duration_ms"] / 1000.0,
                    cold=data[f"e{k}_cold"],
                    environments=data[f"e{k}_environment"],
                    elapsed_s=data[f"e{k}_elapsed_ms"] / 1000.0,
                    horizon_s=HORIZON_S,
                )
            )
    return logs
