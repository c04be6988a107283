"""Code from deployment packages: the handler imported from ``Code={"ZipFile": ...}`` or S3, per function version."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import sys
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dist
from tests.helpers import zip_package

ROLE = "arn:aws:iam::123456789012:role/r"

APP = {
    "lambda_function.py": (
        "import helper\n"
        "from pkg import util\n"
        "from pkg.util import triple\n"
        "COUNT = 0\n"
        "def lambda_handler(event, context):\n"
        "    global COUNT\n"
        "    COUNT += 1\n"
        "    print('got', event['x'])\n"
        "    return {'double': helper.double(event['x']), 'triple': triple(event['x']), 'count': COUNT,\n"
        "            'module': __name__.rsplit('.', 1)[-1], 'file': __file__}\n"
        "def fails(event, context):\n"
        "    raise ValueError('bad input')\n"
    ),
    "helper.py": "def double(x):\n    return 2 * x\n",
    "pkg/__init__.py": "",
    "pkg/util.py": "from . import inner\ndef triple(x):\n    return inner.K * x\n",
    "pkg/inner.py": "K = 3\n",
}


def setup(files: dict[str, str] | None = None, handler: str = "lambda_function.lambda_handler", **extra: Any) -> Any:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    lam.create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_package(files or APP)},
        **extra,
    )
    return sim, lam


def call(lam: Any, payload: Any = None, **params: Any) -> tuple[dict[str, Any], Any]:
    out = lam.invoke(FunctionName="f", Payload=json.dumps(payload if payload is not None else {"x": 1}), **params)
    return out, json.loads(out["Payload"].read())


def test_the_handler_and_its_modules_are_imported_from_the_zip() -> None:
    _, lam = setup()
    out, body = call(lam, {"x": 5})
    assert "FunctionError" not in out
    assert body == {"double": 10, "triple": 15, "count": 1, "module": "lambda_function", "file": ""} | {
        "file": "/var/task/lambda_function.py"
    }
    assert call(lam)[1]["count"] == 2  # module state lives on between invocations, as in a warm environment
    # Nothing of the package reached the caller's modules under its own names.
    assert not {"lambda_function", "helper", "pkg", "pkg.util"} & set(sys.modules)


def test_a_package_in_a_directory_with_a_slash_handler() -> None:
    files = {"app/__init__.py": "", "app/main.py": "from app import cfg\ndef run(e, c):\n    return cfg.V\n"}
    files["app/cfg.py"] = "V = 'from the package'\n"
    for handler in ("app/main.run", "app.main.run"):
        _, lam = setup(files, handler)
        assert call(lam)[1] == "from the package"


def test_two_functions_with_the_same_module_names_do_not_see_each_other() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    for name, value in (("a", 1), ("b", 2)):
        code = zip_package(
            {"index.py": "import conf\ndef handler(e, c):\n    return conf.V\n", "conf.py": f"V = {value}\n"}
        )
        lam.create_function(FunctionName=name, Handler="index.handler", Code={"ZipFile": code})
    got = [json.loads(lam.invoke(FunctionName=n)["Payload"].read()) for n in ("a", "b")]
    assert got == [1, 2]


def test_code_sha256_and_code_size_are_those_of_the_zip_bytes() -> None:
    data = zip_package(APP)
    _, lam = setup()
    config = lam.get_function_configuration(FunctionName="f")
    assert config["CodeSha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert config["CodeSize"] == len(data)
    new = zip_package({"lambda_function.py": "def lambda_handler(e, c):\n    return 'v2'\n"})
    out = lam.update_function_code(FunctionName="f", ZipFile=new)
    assert (out["CodeSha256"], out["CodeSize"]) == (base64.b64encode(hashlib.sha256(new).digest()).decode(), len(new))


def test_update_function_code_runs_the_new_code_and_published_versions_keep_theirs() -> None:
    _, lam = setup()
    assert lam.publish_version(FunctionName="f")["Version"] == "1"
    v2 = zip_package({"lambda_function.py": "def lambda_handler(e, c):\n    return 'v2'\n"})
    out = lam.update_function_code(FunctionName="f", ZipFile=v2, Publish=True)
    assert out["Version"] == "2"
    v3 = zip_package({"lambda_function.py": "def lambda_handler(e, c):\n    return 'v3'\n"})
    lam.update_function_code(FunctionName="f", ZipFile=v3)
    assert call(lam)[1] == "v3"
    assert call(lam, Qualifier="2")[1] == "v2"
    assert call(lam, Qualifier="1")[1]["double"] == 2  # version 1 is still the first package


def test_each_version_has_its_own_module_state() -> None:
    _, lam = setup()
    lam.publish_version(FunctionName="f")
    assert [call(lam)[1]["count"] for _ in range(3)] == [1, 2, 3]
    assert call(lam, Qualifier="1")[1]["count"] == 1  # a published version imports its own copy


def test_a_new_handler_name_is_imported_from_the_package() -> None:
    _, lam = setup()
    lam.update_function_configuration(FunctionName="f", Handler="lambda_function.fails")
    out, body = call(lam)
    assert out["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "bad input")
    assert body["stackTrace"] == [
        "  File \"/var/task/lambda_function.py\", line 12, in fails\n    raise ValueError('bad input')\n"
    ]


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        (
            "missing.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'missing': No module named 'missing'",
        ),
        (
            "pkg/nothere.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'pkg/nothere': No module named 'pkg.nothere'",
        ),
        ("lambda_function.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'lambda_function'"),
        (
            "nodot",
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
        ),
        ("sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module"),
    ],
)
def test_a_bad_handler_path_fails_at_invoke_as_the_runtime_does(handler: str, error_type: str, message: str) -> None:
    _, lam = setup(handler=handler)
    out, body = call(lam)
    assert out["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"], body["stackTrace"]) == (error_type, message, [])


def test_a_module_the_caller_can_import_is_not_found_in_a_package_without_it() -> None:
    # "json" is found (the runtime has the standard library), "tests.helpers" is the caller's, not the package's.
    _, lam = setup({"index.py": "import json\ndef h(e, c):\n    return json.dumps(1)\n"}, "index.h")
    assert call(lam)[1] == "1"
    _, lam = setup({"index.py": ""}, "tests.helpers.make")
    body = call(lam)[1]
    assert (body["errorType"], body["errorMessage"]) == (
        "Runtime.ImportModuleError",
        "Unable to import module 'tests.helpers': No module named 'tests'",
    )


def test_syntax_errors_and_import_time_exceptions() -> None:
    _, lam = setup({"index.py": "def h(e, c)\n    return 1\n"}, "index.h")
    body = call(lam)[1]
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("Syntax error in module 'index': ")
    assert body["stackTrace"][0].startswith('  File "/var/task/index.py" Line 1\n')
    _, lam = setup({"index.py": "raise KeyError('CONFIG')\n"}, "index.h")
    body = call(lam)[1]
    assert (body["errorType"], body["errorMessage"]) == ("KeyError", "'CONFIG'")
    _, lam = setup({"index.py": "import sys\nsys.exit(3)\n"}, "index.h")
    body = call(lam)[1]
    assert body["errorType"] == "Runtime.ExitError" and body["errorMessage"].endswith("exit status 3")


@pytest.mark.parametrize("data", [b"not a zip", b"", b"PK\x03\x04 truncated"])
def test_a_bad_zip_is_refused(data: bytes) -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    message = "Could not unzip uploaded file. Please check your file, then try to upload again."
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=message):
        lam.create_function(FunctionName="f", Handler="a.b", Code={"ZipFile": data})
    lam.create_function(FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package()})
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=message):
        lam.update_function_code(FunctionName="f", ZipFile=data)
    assert json.loads(lam.invoke(FunctionName="f", Payload=b'{"a": 1}')["Payload"].read()) == {"a": 1}


def test_code_from_s3_and_its_errors() -> None:
    sim = ls.Simulation(seed=1)
    lam, s3 = sim.client("lambda"), sim.client("s3")
    s3.create_bucket(Bucket="code")
    data = zip_package({"index.py": "def handler(e, c):\n    return 's3'\n"})
    s3.put_object(Bucket="code", Key="fn.zip", Body=data)
    out = lam.create_function(FunctionName="f", Handler="index.handler", Code={"S3Bucket": "code", "S3Key": "fn.zip"})
    assert (out["CodeSha256"], out["CodeSize"]) == (base64.b64encode(hashlib.sha256(data).digest()).decode(), len(data))
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == "s3"
    cases = [
        ({"S3Bucket": "code", "S3Key": "nope.zip"}, "NoSuchKey. S3 Error Message: The specified key does not exist."),
        ({"S3Bucket": "nob", "S3Key": "fn.zip"}, "NoSuchBucket. S3 Error Message: The specified bucket does not exist"),
        ({"S3Bucket": "code", "S3Key": "fn.zip", "S3ObjectVersion": "3"}, "Invalid version id specified"),
    ]  # fmt: skip
    for code, words in cases:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            lam.create_function(FunctionName="g", Handler="index.handler", Code=code)
        assert exc.value.response["Error"]["Message"].startswith("Error occurred while GetObject. S3 Error Code: ")
        assert exc.value.response["Error"]["Message"].endswith(words)
    s3.put_object(Bucket="code", Key="v2.zip", Body=zip_package({"index.py": "def handler(e, c):\n    return 2\n"}))
    lam.update_function_code(FunctionName="f", S3Bucket="code", S3Key="v2.zip", S3ObjectVersion="null")
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == 2


def test_other_runtimes_need_a_behaviour() -> None:
    sim = ls.Simulation(seed=1)
    lam = sim.client("lambda")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=r"runs the code of Python functions only"):
        lam.create_function(
            FunctionName="f", Runtime="nodejs20.x", Handler="index.handler", Code={"ZipFile": zip_package()}
        )
    sim.configure_function("f", behaviour=ls.Behaviour(duration=0.25, response="ok"))
    lam.create_function(
        FunctionName="f", Runtime="nodejs20.x", Handler="index.handler", Code={"ZipFile": zip_package()}
    )
    assert lam.get_function_configuration(FunctionName="f")["Handler"] == "index.handler"
    started = sim.now
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == "ok"
    assert sim.now - started == pytest.approx(0.25)


def test_the_duration_of_zip_code_is_set_by_name() -> None:
    sim = ls.Simulation(seed=1)
    sim.configure_function("f", duration=0.5, init_duration=0.2)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package()})
    started = sim.now
    lam.invoke(FunctionName="f")
    assert sim.now - started == pytest.approx(0.7)  # a cold start: init, then the handler
    started = sim.now
    lam.invoke(FunctionName="f")
    assert sim.now - started == pytest.approx(0.5)
    sim.configure_function("f", duration=dist.Constant(2.0))  # an existing function's $LATEST changes at once
    started = sim.now
    lam.invoke(FunctionName="f")
    assert sim.now - started == pytest.approx(2.0)


def test_configure_function_refuses_bad_values() -> None:
    sim = ls.Simulation(seed=1)
    with pytest.raises(ValueError, match="give one of duration, behaviour and cpu_time_scale, not duration and"):
        sim.configure_function("f", duration=1.0, cpu_time_scale=2.0)
    with pytest.raises(ValueError, match="cpu_time_scale"):
        sim.configure_function("f", cpu_time_scale=-1.0)
    with pytest.raises(TypeError, match=r"behaviour must be a lambdasim\.Behaviour"):
        sim.configure_function("f", behaviour="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="duration"):
        sim.configure_function("f", duration=-1)


def test_measured_cpu_time_scaled() -> None:
    sim = ls.Simulation(seed=1)
    sim.configure_function("f", cpu_time_scale=100.0)
    lam = sim.client("lambda")
    busy = "def handler(e, c):\n    n = 0\n    for i in range(200000):\n        n += i\n    return n\n"
    lam.create_function(
        FunctionName="f", Handler="index.handler", Code={"ZipFile": zip_package({"index.py": busy})}, Timeout=900
    )
    started = sim.now
    out = lam.invoke(FunctionName="f")
    assert json.loads(out["Payload"].read()) == sum(range(200000))
    assert sim.now - started > 0.01  # a few ms of CPU, times 100 (it depends on the machine: a loose bound)


def test_an_async_handler_in_the_zip_awaits_the_simulated_clock() -> None:
    code = "async def handler(event, context):\n    await context.sleep(1.5)\n    return context.function_name\n"
    sim, lam = setup({"index.py": code}, "index.handler")
    started = sim.now
    assert call(lam)[1] == "f"
    assert sim.now - started == pytest.approx(1.5)


def test_a_handler_given_directly_still_runs_and_the_code_only_sets_the_sha() -> None:
    lam = ls.Simulation(seed=1).client("lambda")
    lam.create_function(FunctionName="f", Handler=lambda e, c: "direct", Code={"ZipFile": zip_package()})
    lam.update_function_code(FunctionName="f", ZipFile=zip_package({"other.py": ""}))
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == "direct"


def test_a_deleted_functions_modules_are_dropped() -> None:
    # Only this test's namespaces: simulations of earlier tests (another file's fixtures) may still be alive.
    earlier = {m for m in sys.modules if m.startswith("_lambdasim_code_")}
    sim, lam = setup()
    call(lam)
    before = {m for m in sys.modules if m.startswith("_lambdasim_code_")} - earlier
    assert before
    lam.update_function_code(
        FunctionName="f", ZipFile=zip_package({"lambda_function.py": "def lambda_handler(e, c): pass\n"})
    )
    del sim, lam
    gc.collect()
    assert not before & set(sys.modules)


def test_event_invokes_of_zip_code_are_function_errors_never_crashes() -> None:
    sim, lam = setup(handler="lambda_function.fails")
    for _ in range(3):
        lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
    results = sim.run()
    assert results.functions["f"]["errors"] == 9  # 3 events, 3 attempts each


def test_a_new_duration_keeps_the_imported_code_and_a_new_runtime_needs_a_behaviour() -> None:
    sim, lam = setup()
    assert call(lam)[1]["count"] == 1
    sim.configure_function("f", duration=0.5)  # the same code, a new duration: module state stays
    assert call(lam)[1]["count"] == 2
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="runs the code of Python functions only"):
        lam.update_function_configuration(FunctionName="f", Runtime="nodejs22.x")
    assert lam.get_function_configuration(FunctionName="f")["Runtime"] == "python3.12"
    assert call(lam)[1]["count"] == 3  # nothing changed
    lam.update_function_configuration(FunctionName="f", Runtime="python3.13")  # a new runtime: imported afresh
    assert call(lam)[1]["count"] == 1
    sim.configure_function("f", behaviour=ls.Behaviour(duration=0.1, response="modelled"))
    lam.update_function_configuration(FunctionName="f", Runtime="nodejs22.x")
    assert call(lam)[1] == "modelled"
