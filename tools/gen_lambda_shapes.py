"""Generate ``lambdasim/aws/lambda_/_shapes.py`` from botocore's Lambda service model.

The simulation validates requests as botocore and AWS do, without importing botocore at runtime: this script copies
the input shapes of the operations lambdasim implements (member names, required members, types and min/max/enum/
pattern constraints), the paginator and waiter configurations and the service's error codes into a small Python
module.

Run it after adding an operation or upgrading botocore (botocore is a test dependency)::

    python tools/gen_lambda_shapes.py

``tests/test_conformance.py`` fails when the committed module and the installed botocore disagree.
"""

from __future__ import annotations

import gzip
import json
import pprint
import subprocess
import sys
from pathlib import Path
from typing import Any

OPERATIONS = (
    "AddPermission",
    "CreateAlias",
    "CreateEventSourceMapping",
    "CreateFunction",
    "DeleteAlias",
    "DeleteEventSourceMapping",
    "DeleteFunction",
    "DeleteFunctionConcurrency",
    "DeleteFunctionEventInvokeConfig",
    "DeleteProvisionedConcurrencyConfig",
    "GetAccountSettings",
    "GetAlias",
    "GetEventSourceMapping",
    "GetFunction",
    "GetFunctionConcurrency",
    "GetFunctionConfiguration",
    "GetFunctionEventInvokeConfig",
    "GetPolicy",
    "GetProvisionedConcurrencyConfig",
    "Invoke",
    "ListAliases",
    "ListEventSourceMappings",
    "ListFunctionEventInvokeConfigs",
    "ListFunctions",
    "ListProvisionedConcurrencyConfigs",
    "ListTags",
    "ListVersionsByFunction",
    "PublishVersion",
    "PutFunctionConcurrency",
    "PutFunctionEventInvokeConfig",
    "PutProvisionedConcurrencyConfig",
    "RemovePermission",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateEventSourceMapping",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "UpdateFunctionEventInvokeConfig",
)
KEPT = ("min", "max", "enum", "pattern")
TARGET = Path(__file__).resolve().parent.parent / "lambdasim" / "aws" / "lambda_" / "_shapes.py"


def model_dir() -> Path:
    import botocore

    return Path(botocore.__file__).parent / "data" / "lambda" / "2015-03-31"


def load(name: str) -> dict[str, Any]:
    base = model_dir()
    plain = base / name
    if plain.exists():
        return dict(json.loads(plain.read_text()))
    with gzip.open(base / f"{name}.gz", "rt") as fh:
        return dict(json.load(fh))


def collect(shapes: dict[str, Any], name: str, out: dict[str, dict[str, Any]]) -> None:
    """Copy shape ``name`` and every shape it refers to, without documentation."""
    if name in out:
        return
    src = shapes[name]
    kept: dict[str, Any] = {"type": src["type"]}
    kept.update({k: src[k] for k in KEPT if k in src})
    out[name] = kept
    if src["type"] == "structure":
        kept["required"] = list(src.get("required", []))
        kept["members"] = {m: ref["shape"] for m, ref in src["members"].items()}
        for ref in src["members"].values():
            collect(shapes, ref["shape"], out)
    elif src["type"] == "list":
        kept["member"] = src["member"]["shape"]
        collect(shapes, src["member"]["shape"], out)
    elif src["type"] == "map":
        kept["key"] = src["key"]["shape"]
        kept["value"] = src["value"]["shape"]
        collect(shapes, src["key"]["shape"], out)
        collect(shapes, src["value"]["shape"], out)


def build() -> dict[str, Any]:
    """What the generated module holds: ``OPERATIONS``, ``SHAPES``, ``PAGINATORS``, ``WAITERS``, ``ERROR_CODES``."""
    service = load("service-2.json")
    paginators = load("paginators-1.json")["pagination"]
    waiters = load("waiters-2.json")
    if waiters["version"] != 2:  # lambdasim's waiters read version 2's acceptors, as botocore's WaiterModel does
        raise SystemExit(f"waiters-2.json is version {waiters['version']}, not 2")
    ops = service["operations"]
    shapes: dict[str, dict[str, Any]] = {}
    operations: dict[str, tuple[str | None, str | None, int]] = {}
    for op in OPERATIONS:
        spec = ops[op]
        in_shape = spec.get("input", {}).get("shape")
        out_shape = spec.get("output", {}).get("shape")
        if in_shape:
            collect(service["shapes"], in_shape, shapes)
        operations[op] = (in_shape, out_shape, spec["http"].get("responseCode", 200))
    return {
        "OPERATIONS": operations,
        "SHAPES": {name: shapes[name] for name in sorted(shapes)},
        "PAGINATORS": {op: dict(paginators[op]) for op in OPERATIONS if op in paginators},
        # Every waiter, as botocore's waiters-2.json has it (version 2): each polls an implemented operation.
        "WAITERS": {name: dict(waiters["waiters"][name]) for name in sorted(waiters["waiters"])},
        "ERROR_CODES": tuple(sorted(n for n, s in service["shapes"].items() if s.get("exception"))),
        "API_VERSION": service["metadata"]["apiVersion"],
    }


def render() -> str:
    data = build()
    # Insertion order kept: botocore lists a structure's members in model order ("must be one of: ...").
    fmt = lambda value: pprint.pformat(value, width=116, sort_dicts=False)  # noqa: E731
    return (
        '"""Botocore\'s Lambda model, reduced to what lambdasim validates. GENERATED by tools/gen_lambda_shapes.py\n'
        f"from botocore {_version()} (API {data['API_VERSION']}): do not edit by hand.\n\n"
        "``OPERATIONS``: operation -> (input shape, output shape, HTTP status of success). ``SHAPES``: every input\n"
        "shape reachable from those operations. ``PAGINATORS``: botocore's paginator configuration. ``WAITERS``:\n"
        "botocore's waiter configuration (waiters-2.json, version 2). ``ERROR_CODES``: the service's modelled\n"
        'exceptions.\n"""\n\n'
        "# ruff: noqa: E501 (botocore's patterns are long strings)\n\n"
        "from __future__ import annotations\n\n"
        "from typing import Any\n\n"
        f"OPERATIONS: dict[str, tuple[str | None, str | None, int]] = {fmt(data['OPERATIONS'])}\n\n"
        f"SHAPES: dict[str, dict[str, Any]] = {fmt(data['SHAPES'])}\n\n"
        f"PAGINATORS: dict[str, dict[str, str]] = {fmt(data['PAGINATORS'])}\n\n"
        f"WAITERS: dict[str, dict[str, Any]] = {fmt(data['WAITERS'])}\n\n"
        f"ERROR_CODES: tuple[str, ...] = {fmt(data['ERROR_CODES'])}\n"
    )


def _version() -> str:
    import botocore

    return str(botocore.__version__)


def main() -> int:
    TARGET.write_text(render())
    # Keep the committed file in the project's format.
    subprocess.run([sys.executable, "-m", "ruff", "format", str(TARGET)], check=False)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
