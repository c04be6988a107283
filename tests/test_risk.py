"""Risk: confidence bounds on a share and the sequential design, checked against closed forms and exact sums."""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from statistics import NormalDist

import pytest

from lambdasim.planning.risk import ShareRule, binomial_cdf, share_bounds


def exact_cdf(k: int, n: int, p: Fraction) -> Fraction:
    return sum((Fraction(math.comb(n, i)) * p**i * (1 - p) ** (n - i) for i in range(k + 1)), Fraction(0))


@pytest.mark.parametrize(("k", "n", "p"), [(0, 5, "1/2"), (3, 10, "3/10"), (7, 12, "9/10"), (19, 20, "19/20")])
def test_binomial_cdf_is_the_exact_sum(k: int, n: int, p: str) -> None:
    assert binomial_cdf(k, n, float(Fraction(p))) == pytest.approx(float(exact_cdf(k, n, Fraction(p))), abs=1e-13)


@pytest.mark.parametrize("n", [1, 10, 59, 200])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_clopper_pearson_closed_forms_at_the_edges(n: int, confidence: float) -> None:
    alpha = 1 - confidence
    lower, upper = share_bounds(n, n, confidence)
    assert lower == pytest.approx(alpha ** (1 / n), rel=1e-12) and upper == 1.0
    lower, upper = share_bounds(0, n, confidence)
    assert lower == 0.0 and upper == pytest.approx(1 - alpha ** (1 / n), rel=1e-12)


@pytest.mark.parametrize(("k", "n"), [(1, 10), (5, 10), (9, 10), (57, 60), (95, 120)])
def test_clopper_pearson_bounds_put_alpha_in_each_tail(k: int, n: int) -> None:
    """The lower bound is where k or more successes have probability alpha; the upper where k or fewer do."""
    lower, upper = share_bounds(k, n, 0.95)
    assert 1 - binomial_cdf(k - 1, n, lower) == pytest.approx(0.05, abs=1e-9)
    assert binomial_cdf(k, n, upper) == pytest.approx(0.05, abs=1e-9)
    assert lower < k / n < upper


def test_wilson_closed_form_and_its_relation_to_the_exact_bounds() -> None:
    z = NormalDist().inv_cdf(0.95)
    for n in (5, 20, 100):
        lower, upper = share_bounds(0, n, 0.95, method="wilson")
        assert lower == 0.0 and upper == pytest.approx(z * z / (n + z * z), rel=1e-12)
        lower, upper = share_bounds(n, n, 0.95, method="wilson")
        assert lower == pytest.approx(n / (n + z * z), rel=1e-12) and upper == 1.0
    # Wilson is the narrower (approximate) interval; Clopper-Pearson the conservative one.
    wl, wu = share_bounds(57, 60, 0.95, method="wilson")
    cl, cu = share_bounds(57, 60, 0.95)
    assert cl < wl < 57 / 60 < wu < cu


def test_bounds_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="k must be in"):
        share_bounds(11, 10)
    with pytest.raises(ValueError, match="confidence must be in"):
        share_bounds(1, 10, 1.0)
    with pytest.raises(ValueError, match="method must be one of"):
        share_bounds(1, 10, method="normal")
    with pytest.raises(ValueError, match="cap must be >= first"):
        ShareRule(first=20, cap=10)
    with pytest.raises(ValueError, match="share must be in"):
        ShareRule(share=1.0)


def test_looks_and_the_replications_needed_to_show_a_share() -> None:
    rule = ShareRule(share=0.95, confidence=0.95, first=20, cap=60)
    assert rule.looks == (20, 40, 60)
    # Only the look at 60 could ever claim 95% (0.05 ** (1/59) >= 0.95 needs 59 of 59): it gets all the error.
    assert rule.look_confidence == pytest.approx(0.95)
    assert rule.least_replications == 60
    # With two looks able to claim it, each gets half: 0.025 ** (1/n) >= 0.95 needs n >= 72.
    two = ShareRule(share=0.95, confidence=0.95, first=20, cap=120)
    assert two.looks == (20, 40, 80, 120)
    assert two.look_confidence == pytest.approx(0.975)
    assert two.least_replications == 80 and math.ceil(math.log(0.025) / math.log(0.95)) == 72
    assert ShareRule(share=0.95, confidence=0.95, first=10, cap=40).least_replications is None
    assert rule.decide(20, 20) == "undecided"  # 20 good days of 20 cannot show 95%
    assert rule.decide(60, 60) == "met"
    assert rule.decide(15, 20) == "failed"  # 75%: the share is clearly below 95%


@functools.cache
def exact_claim_probability(rule: ShareRule, p: float) -> float:
    """P(the sequential design says "met") when each replication meets the objective with probability p, summed
    exactly over the looks: the distribution of successes among the replications still running."""
    alive = {0: 1.0}  # successes so far -> probability, for paths that have not stopped
    decisions = {n: [rule.decide(k, n) for k in range(n + 1)] for n in rule.looks}  # the same for every p
    n_before = 0
    claimed = 0.0
    for n in rule.looks:
        step = n - n_before
        grown: dict[int, float] = {}
        for k, prob in alive.items():
            for j in range(step + 1):
                grown[k + j] = grown.get(k + j, 0.0) + prob * math.comb(step, j) * p**j * (1 - p) ** (step - j)
        alive = {}
        for k, prob in grown.items():
            decision = decisions[n][k]
            if decision == "met":
                claimed += prob
            elif decision == "undecided":
                alive[k] = prob
        n_before = n
    return claimed


@pytest.mark.parametrize(
    "rule",
    [
        ShareRule(share=0.95, confidence=0.95, first=20, cap=120),
        ShareRule(share=0.9, confidence=0.9, first=10, cap=30),
        ShareRule(share=0.8, confidence=0.95, first=5, cap=80, method="clopper-pearson"),
    ],
)
def test_a_false_met_has_at_most_the_stated_error_over_all_looks(rule: ShareRule) -> None:
    """Exactly: at a true share equal to (or below) the requirement, "met" is said with probability <= 1 -
    confidence, however many looks; and a share well above it is shown with high probability."""
    alpha = 1 - rule.confidence
    for p in (rule.share, rule.share - 0.02):
        assert exact_claim_probability(rule, p) <= alpha + 1e-12
    assert exact_claim_probability(rule, 1.0) == pytest.approx(1.0)
    assert exact_claim_probability(rule, 0.5) < 1e-5


@pytest.mark.parametrize("method", ["clopper-pearson", "wilson"])
def test_the_decision_is_the_bounds_against_the_share(method: str) -> None:
    rule = ShareRule(share=0.9, confidence=0.9, first=10, cap=40, method=method)
    for n in rule.looks:
        for k in range(n + 1):
            lower, upper = rule.bounds(k, n)
            expected = "met" if lower >= rule.share else "failed" if upper < rule.share else "undecided"
            assert rule.decide(k, n) == expected, (k, n)
