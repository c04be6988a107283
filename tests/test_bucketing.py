"""One bucketing rule (lambdasim.core.stats.bucket_key): per-period metric histograms, sketches filled one value at
a time and sketches filled in bulk put every value in the same log bucket."""

from __future__ import annotations

import numpy as np

from lambdasim.core.metrics import SKETCH_ALPHA, Samples
from lambdasim.core.stats import QuantileSketch, bucket_gamma_log, bucket_key, bucket_keys


def _values() -> list[float]:
    rng = np.random.default_rng(20261204)
    dense = np.geomspace(1.0, 3000.0, 200_000)  # 1 ms to 3 s, in ms as the metrics keep event ages
    gamma_log = bucket_gamma_log(SKETCH_ALPHA)
    # Values a few ulps either side of bucket boundaries, where a vectorised log may round the other way.
    boundaries = np.exp(np.arange(0, 1700) * gamma_log)
    near = np.concatenate([np.nextafter(boundaries, 0), boundaries, np.nextafter(boundaries, np.inf)])
    wide = rng.lognormal(0.0, 6.0, 100_000)
    return [2.6645432874778376, *dense.tolist(), *near.tolist(), *wide.tolist(), 0.0, 1e-12]


def test_metric_histograms_and_sketches_agree_on_every_bucket() -> None:
    values = _values()
    one_by_one = QuantileSketch(SKETCH_ALPHA)
    for v in values:
        one_by_one.add(v)
    in_bulk = QuantileSketch(SKETCH_ALPHA)
    in_bulk.add_many(values)
    samples = Samples()
    for v in values:
        samples.add(v)
    from_histogram = samples.sketch()
    expected = one_by_one._settle()
    assert in_bulk._settle() == expected
    assert from_histogram._settle() == expected
    assert from_histogram._zeros == one_by_one._zeros >= 2
    assert from_histogram.count == one_by_one.count == len(values)
    for q in (0.0, 0.5, 0.9, 0.99, 0.999, 1.0):
        assert from_histogram.quantile(q) == one_by_one.quantile(q)


def test_the_value_that_used_to_land_in_another_bucket() -> None:
    # 2.6645432874778376 ms: the metric histogram multiplied by 1/log(gamma) and put it in bucket 50; the rule is 49.
    gamma_log = bucket_gamma_log(SKETCH_ALPHA)
    assert bucket_key(2.6645432874778376, gamma_log) == 49
    assert bucket_keys(np.array([2.6645432874778376]), gamma_log).tolist() == [49]
    samples = Samples()
    samples.add(2.6645432874778376)
    assert samples.buckets == {49: 1}
