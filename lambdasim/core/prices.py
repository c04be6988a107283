"""Lambda's prices as versioned, replaceable tables. No SimPy here.

A :class:`PriceTable` holds what :mod:`lambdasim.core.cost` needs: the price of a request, of an on-demand GB-second on
each architecture, of provisioned concurrency (per GB-second configured) and of a GB-second of duration on a
provisioned environment, and whether the init phase of a cold start is billed. Tables are stamped with the date
they took effect (``version``), so a bill says which prices produced it; a newer table, another region or a
negotiated discount is a new table, written in Python or loaded from JSON with :meth:`PriceTable.from_json`.

>>> from lambdasim.core.prices import CURRENT, PRE_INIT_BILLING
>>> CURRENT.version, CURRENT.gb_second("arm64"), CURRENT.init_billed
('2025-08-01', 1.33334e-05, True)
>>> CURRENT.provisioned_concurrency("x86_64"), CURRENT.provisioned_gb_second("x86_64")
(4.1667e-06, 9.7222e-06)
>>> PRE_INIT_BILLING.init_billed
False
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import attrs
from attrs import field, frozen

from lambdasim.core._validators import in_range, non_empty_text, real

__all__ = ["CURRENT", "PRE_INIT_BILLING", "TABLES", "PriceTable", "price_table"]

ARCHITECTURES = ("x86_64", "arm64")


@frozen(kw_only=True)
class PriceTable:
    """Lambda prices for one region, from the date they took effect. Prices are in ``currency``, all >= 0.

    Attributes:
        version: Names the table: the date these prices took effect (``"2025-08-01"``) or a label.
        region: The AWS region they apply to.
        currency: ISO 4217 currency code.
        request_per_million: Price of one million requests (every attempt that ran is a request).
        gb_second_x86_64: Price of one GB-second of duration on x86_64 (the first monthly tier).
        gb_second_arm64: Price of one GB-second of duration on arm64 (Graviton, the first monthly tier).
        provisioned_concurrency_x86_64: Price of one GB-second of provisioned concurrency configured on x86_64,
            whether it runs invocations or not (AWS's usage type ``Lambda-Provisioned-Concurrency``).
        provisioned_concurrency_arm64: The same on arm64 (``Lambda-Provisioned-Concurrency-ARM``).
        provisioned_gb_second_x86_64: Price of one GB-second of duration of an invocation that ran on a provisioned
            environment, x86_64 (``Lambda-Provisioned-GB-Second``); invocations that spill over to on-demand
            environments pay ``gb_second_x86_64``.
        provisioned_gb_second_arm64: The same on arm64 (``Lambda-Provisioned-GB-Second-ARM``).
        init_billed: Whether the init phase of a cold start is billed as duration (AWS: from 2025-08-01 on).
        source: Where the figures come from.
    """

    version: str = field(validator=non_empty_text)
    region: str = field(default="us-east-1", validator=non_empty_text)
    currency: str = field(default="USD", validator=non_empty_text)
    request_per_million: float = field(default=0.20, converter=real, validator=in_range(0.0))
    gb_second_x86_64: float = field(default=0.0000166667, converter=real, validator=in_range(0.0))
    gb_second_arm64: float = field(default=0.0000133334, converter=real, validator=in_range(0.0))
    provisioned_concurrency_x86_64: float = field(default=0.0000041667, converter=real, validator=in_range(0.0))
    provisioned_concurrency_arm64: float = field(default=0.0000033334, converter=real, validator=in_range(0.0))
    provisioned_gb_second_x86_64: float = field(default=0.0000097222, converter=real, validator=in_range(0.0))
    provisioned_gb_second_arm64: float = field(default=0.0000077778, converter=real, validator=in_range(0.0))
    init_billed: bool = field(default=True, validator=attrs.validators.instance_of(bool))
    source: str = field(default="https://aws.amazon.com/lambda/pricing/", validator=non_empty_text)

    def gb_second(self, architecture: str) -> float:
        """Price of one on-demand GB-second of duration on ``architecture`` (``"x86_64"`` or ``"arm64"``)."""
        return _by_architecture(architecture, self.gb_second_x86_64, self.gb_second_arm64)

    def provisioned_concurrency(self, architecture: str) -> float:
        """Price of one GB-second of provisioned concurrency configured on ``architecture``."""
        return _by_architecture(architecture, self.provisioned_concurrency_x86_64, self.provisioned_concurrency_arm64)

    def provisioned_gb_second(self, architecture: str) -> float:
        """Price of one GB-second of duration on a provisioned environment of ``architecture``."""
        return _by_architecture(architecture, self.provisioned_gb_second_x86_64, self.provisioned_gb_second_arm64)

    @property
    def per_request(self) -> float:
        """Price of one request."""
        return self.request_per_million / 1e6

    def to_dict(self) -> dict[str, Any]:
        """The table as a JSON-ready dict (what :meth:`from_dict` reads)."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        """A table from a mapping of its fields (unknown keys are a ``ValueError``).

        A field left out takes its default, the us-east-1 figure: a table written before the provisioned-concurrency
        prices were added loads with us-east-1's, so add them to a table of another region.
        """
        names = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown price table fields {unknown}; valid fields: {sorted(names)}")
        return cls(**dict(data))

    @classmethod
    def from_json(cls, path: str | PathLike[str]) -> PriceTable:
        """A table from a JSON file holding one object of its fields."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_json(self, path: str | PathLike[str]) -> None:
        """Write the table as JSON (read it back with :meth:`from_json`)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")


CURRENT = PriceTable(version="2025-08-01")
"""us-east-1 from 2025-08-01: $0.20 per million requests, $0.0000166667 (x86_64) and $0.0000133334 (arm64) per
GB-second in the first tier, billed per 1 ms, the init phase of on-demand cold starts billed as duration.
Provisioned concurrency: $0.0000041667 (x86_64) and $0.0000033334 (arm64) per GB-second configured, and
$0.0000097222 (x86_64) and $0.0000077778 (arm64) per GB-second of duration on provisioned environments."""

PRE_INIT_BILLING = attrs.evolve(CURRENT, version="pre-2025-08-01", init_billed=False)
"""The same prices under the rule before 2025-08-01: the init phase of managed-runtime functions was not billed."""

TABLES: dict[str, PriceTable] = {t.version: t for t in (CURRENT, PRE_INIT_BILLING)}
"""The built-in tables by version."""


def _by_architecture(architecture: str, x86_64: float, arm64: float) -> float:
    if architecture == "x86_64":
        return x86_64
    if architecture == "arm64":
        return arm64
    raise ValueError(f"architecture must be one of {list(ARCHITECTURES)}, got {architecture!r}")


def price_table(version: str | PriceTable | None = None) -> PriceTable:
    """The built-in table ``version`` (``None``: :data:`CURRENT`); a :class:`PriceTable` is returned as is."""
    if version is None:
        return CURRENT
    if isinstance(version, PriceTable):
        return version
    try:
        return TABLES[version]
    except KeyError:
        raise ValueError(f"no built-in price table {version!r}; versions: {sorted(TABLES)}") from None
