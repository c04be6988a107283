"""The lambdasim pytest plugin: the ``lambda_sim`` fixture, a seed option and readable timeline failures.

Installed with lambdasim, it is found through the ``pytest11`` entry point (disable it with ``-p no:lambdasim``).
Where it is not installed (or plugin autoloading is off), enable it with ``-p lambdasim.testing.plugin``, which also
works when the entry point is active.

- ``lambda_sim``: a :class:`lambdasim.testing.helpers.LambdaSim`, a seeded simulation with a trace and its clients.
- ``mock_aws``: ``lambda_sim``'s :class:`~lambdasim.Simulation` with :func:`lambdasim.mock_aws` active for the test:
  every boto3 client the test (or the code it calls) creates is answered by it (needs ``lambdasim[boto3]``).
- The seed: ``@pytest.mark.lambdasim(seed=...)`` on a test, else ``--lambdasim-seed N``, else the ``lambdasim_seed``
  ini setting, else :data:`lambdasim.testing.helpers.DEFAULT_SEED`. Other marker keywords go to
  :class:`~lambdasim.Simulation` (``settings=``, ``concurrency_limit=``, ``trace=``, ...).
- ``assert trace == Expected(...)`` failures print the expected and actual timelines side by side.

This module imports only pytest at startup: :mod:`lambdasim.testing.helpers` is imported when a test first asks for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lambdasim.aws.simulation import Simulation
    from lambdasim.testing.helpers import LambdaSim

DEFAULT_SEED = (
    1  # kept equal to lambdasim.testing.helpers.DEFAULT_SEED (a test checks), without importing it at startup
)
SEED_OPTION = "--lambdasim-seed"
SEED_INI = "lambdasim_seed"


ENTRY_POINT = "lambdasim"
"""The plugin's name as the ``pytest11`` entry point registers it (``-p no:lambdasim`` turns it off)."""


def pytest_plugin_registered(plugin: object, plugin_name: str, manager: pytest.PytestPluginManager) -> None:
    # Named on the command line (-p lambdasim.testing.plugin), this module registers before the entry points load;
    # block the entry point's name so the same module is not registered twice, which pluggy refuses.
    if plugin is sys.modules[__name__] and plugin_name != ENTRY_POINT and manager.get_plugin(ENTRY_POINT) is None:
        manager.set_blocked(ENTRY_POINT)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lambdasim", "lambdasim simulations")
    group.addoption(
        SEED_OPTION,
        action="store",
        type=int,
        default=None,
        metavar="N",
        help=f"seed of the lambda_sim fixture (an integer >= 0; default: the {SEED_INI} ini setting, else "
        f"{DEFAULT_SEED})",
    )
    parser.addini(SEED_INI, f"seed of the lambda_sim fixture (default {DEFAULT_SEED})", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lambdasim(seed=None, **simulation): configure the lambda_sim fixture: its seed and any other "
        "lambdasim.Simulation keyword (settings=, concurrency_limit=, trace=, ...)",
    )
    configured_seed(config)  # a bad option or ini value is a usage error at startup, not in the first test


def configured_seed(config: pytest.Config) -> int:
    """The session's seed: ``--lambdasim-seed``, else the ``lambdasim_seed`` ini setting, else the default."""
    value: Any = config.getoption(SEED_OPTION, default=None)
    where = SEED_OPTION
    if value is None:
        value = config.getini(SEED_INI)
        where = f"the {SEED_INI} ini setting"
        if value in (None, "", []):
            return DEFAULT_SEED
        try:
            value = int(str(value).strip())
        except ValueError:
            raise pytest.UsageError(f"{where} must be an integer >= 0, got {value!r}") from None
    if value < 0:
        raise pytest.UsageError(f"{where} must be an integer >= 0, got {value!r}")
    return int(value)


def pytest_report_header(config: pytest.Config) -> str:
    return f"lambdasim: lambda_sim seed {configured_seed(config)}"


@pytest.fixture
def lambda_sim_seed(request: pytest.FixtureRequest) -> int:
    """The seed the ``lambda_sim`` fixture uses in this test."""
    marker = request.node.get_closest_marker("lambdasim")
    if marker is not None and marker.kwargs.get("seed") is not None:
        seed = marker.kwargs["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise pytest.UsageError(f"@pytest.mark.lambdasim(seed=...) must be an integer >= 0, got {seed!r}")
        return seed
    return configured_seed(request.config)


@pytest.fixture
def lambda_sim(request: pytest.FixtureRequest, lambda_sim_seed: int) -> Iterator[LambdaSim]:
    """A seeded, traced simulation with its clients (:class:`lambdasim.testing.helpers.LambdaSim`)."""
    from lambdasim.testing.helpers import LambdaSim

    marker = request.node.get_closest_marker("lambdasim")
    options = {k: v for k, v in (marker.kwargs if marker is not None else {}).items() if k != "seed"}
    if marker is not None and marker.args:
        raise pytest.UsageError("@pytest.mark.lambdasim takes keywords only (seed=..., settings=..., ...)")
    yield LambdaSim(lambda_sim_seed, **options)


@pytest.fixture
def mock_aws(lambda_sim: LambdaSim) -> Iterator[Simulation]:
    """``lambda_sim``'s simulation, answering every boto3 client created during the test (:func:`lambdasim.mock_aws`).

    The seed and simulation options come from the same places as ``lambda_sim``'s; ask for both fixtures to use
    the helpers on the same simulation.
    """
    from lambdasim.aws.mock import mock_aws as active_mock

    with active_mock(lambda_sim.sim) as sim:
        yield sim


def pytest_assertrepr_compare(config: pytest.Config, op: str, left: object, right: object) -> list[str] | None:
    testing = sys.modules.get("lambdasim.testing.helpers")
    if testing is None or op != "==":  # nothing of ours can be compared before lambdasim.testing.helpers is imported
        return None
    if isinstance(left, testing.RequestTrace) and isinstance(right, testing.Expected):
        trace, expected = left, right
    elif isinstance(left, testing.Expected) and isinstance(right, testing.RequestTrace):
        trace, expected = right, left
    else:
        return None
    # pytest prints the first line after "assert"; the table follows it.
    title = f"timeline of request {trace.request_id} (function {trace.function_name!r}) == Expected(...)"
    lines: list[str] = expected.report(trace, title=f"{title}, tolerance {expected.tolerance:g} s")
    return lines
