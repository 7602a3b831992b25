# mypy: disable-error-code="index,operator"
"""The budget planner on stored curve draws: better than today's split, bounds
and locks held per channel whatever the order or names, the smallest budget
for a target, what-if, and refusals in words."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kpis.modeling.planner import Bound, ChannelCurve, PlanError, Planner

DAYS = 30


def curve(slug, name, ceiling, half, today, draws=40, seed=1):
    """Draws of f(x) = ceiling * x / (x + half) on a grid up to 4 x today."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 4 * today, 17)
    factors = np.exp(rng.normal(0, 0.1, size=draws))
    return ChannelCurve(
        slug=slug,
        name=name,
        spend=grid,
        samples=np.outer(factors, ceiling * grid / (grid + half)),
        today_daily=today,
        margin=0.5,
    )


def channels():
    # Names sort the other way round from slugs.
    return [
        curve("a-search", "Zulu Search", ceiling=900, half=100, today=300, seed=1),
        curve("b-social", "Yankee Social", ceiling=600, half=300, today=100, seed=2),
        curve("c-events", "Alpha Events", ceiling=300, half=50, today=200, seed=3),
    ]


def test_the_best_split_earns_more_than_todays_and_spends_the_budget():
    planner = Planner(channels(), days=DAYS)
    budget = sum(planner.today().values())
    plan = planner.optimise(budget)
    assert plan.total == pytest.approx(budget, rel=1e-6)
    assert plan.outcome.mean > plan.today_outcome.mean * 1.02
    assert plan.outcome.low < plan.outcome.mean < plan.outcome.high
    # Events is saturated at today's spend: money moves away from it.
    assert plan.allocation["c-events"] < plan.today["c-events"]


def test_bounds_and_locks_stay_with_their_channel_whatever_the_order():
    budget = 600 * DAYS
    bounds = {
        "b-social": Bound(min=250 * DAYS),
        "a-search": Bound(max=200 * DAYS),
        "c-events": Bound(locked=True),
    }
    reference = Planner(channels(), days=DAYS).optimise(budget, bounds)
    for seed in range(4):
        shuffled = channels()
        random.Random(seed).shuffle(shuffled)
        items = list(bounds.items())
        random.Random(seed + 10).shuffle(items)
        plan = Planner(shuffled, days=DAYS).optimise(budget, dict(items))
        assert plan.allocation == pytest.approx(reference.allocation, rel=1e-3)
        assert plan.allocation["a-search"] <= 200 * DAYS + 0.01
        assert plan.allocation["b-social"] >= 250 * DAYS - 0.01
        assert plan.allocation["c-events"] == pytest.approx(200 * DAYS)
        rows = plan.as_json()["channels"]
        assert [r["name"] for r in rows] == ["Alpha Events", "Yankee Social", "Zulu Search"]
        assert {r["slug"]: r["amount"] for r in rows}["c-events"] == pytest.approx(200 * DAYS)


def test_a_gross_profit_goal_weighs_each_channel_by_its_margin():
    curves = channels()
    curves[0] = ChannelCurve(**{**curves[0].__dict__, "margin": 0.1})
    revenue = Planner(curves, days=DAYS, goal="revenue").optimise(600 * DAYS)
    profit = Planner(curves, days=DAYS, goal="gross_profit").optimise(600 * DAYS)
    assert profit.allocation["a-search"] < revenue.allocation["a-search"]


def test_the_smallest_budget_reaching_a_target():
    planner = Planner(channels(), days=DAYS)
    today = planner.evaluate(planner.today())
    plan = planner.smallest_budget(today.outcome.mean)
    assert plan.outcome.mean >= today.outcome.mean  # reached, not a hair short
    assert plan.total < sum(planner.today().values())
    assert not plan.notes
    with pytest.raises(PlanError, match="does not reach the target"):
        planner.smallest_budget(today.outcome.mean * 100)
    # A target below what the channels' minimums bring: the least they may
    # take, said in words (it expects more than asked).
    low = planner.smallest_budget(1.0, {"a-search": Bound(min=200.0 * DAYS)})
    assert low.total == pytest.approx(200 * DAYS, rel=1e-6)
    assert low.notes and "already reaches the target" in low.notes[0]
    assert low.as_json()["notes"] == low.notes


def test_what_if_changes_one_channel_only():
    planner = Planner(channels(), days=DAYS)
    plan = planner.what_if("b-social", 300 * DAYS)
    assert plan.allocation["b-social"] == 300 * DAYS
    assert plan.allocation["a-search"] == pytest.approx(300 * DAYS)
    assert plan.outcome.mean > plan.today_outcome.mean
    assert plan.today == pytest.approx(planner.today())


def test_a_plan_is_compared_with_the_same_budget_in_todays_proportions():
    planner = Planner(channels(), days=DAYS)
    plan = planner.optimise(2 * sum(planner.today().values()))
    assert plan.today == pytest.approx({s: 2 * v for s, v in planner.today().items()})
    assert plan.outcome.mean >= plan.today_outcome.mean


def test_the_interval_sums_channels_draw_by_draw():
    planner = Planner(channels(), days=DAYS)
    draws = planner.draws(planner.today())
    plan = planner.evaluate(planner.today())
    assert plan.outcome.low == pytest.approx(np.quantile(draws, 0.05))
    assert plan.outcome.mean == pytest.approx(draws.mean())


def test_spend_past_the_curve_promises_nothing_more():
    planner = Planner(channels(), days=DAYS)
    plan = planner.evaluate({"c-events": 10_000 * DAYS})
    assert plan.capped == ["c-events"]
    assert planner.what_if("c-events", 10_000 * DAYS).capped == ["c-events"]
    top = planner.evaluate({"c-events": 800 * DAYS}).per_channel["c-events"].mean
    assert plan.per_channel["c-events"].mean == pytest.approx(top)


@pytest.mark.parametrize(
    ("budget", "bounds", "message"),
    [
        (100.0, {"b-social": Bound(min=5000.0)}, "below the channels' minimums"),
        (10.0**9, {}, "above what the channels may take"),
        (1000.0, {"a-search": Bound(min=500.0, max=100.0)}, "maximum is below the minimum"),
        (1000.0, {"nope": Bound(min=1.0)}, "No response curve for: nope"),
        (-1.0, {}, "cannot be negative"),
    ],
)
def test_impossible_questions_are_refused_in_words(budget, bounds, message):
    with pytest.raises(PlanError, match=message):
        Planner(channels(), days=DAYS).optimise(budget, bounds)


@pytest.mark.parametrize(
    ("budget", "bounds", "reach", "said", "not_said"),
    [
        (
            1e9,
            {},
            2.0,
            "each channel at most twice today's spend or its busiest month's): "
            "let channels move further from today's spend.",
            "maximums",
        ),
        (
            1e9,
            {},
            None,
            "each channel at most the most the model has seen it spend): plan a smaller budget.",
            "unlock",
        ),
        # Every channel capped by the user: only the maximums are named.
        (
            1e9,
            {s: Bound(max=0.0) for s in ("a-search", "b-social", "c-events")},
            2.0,
            "($0): raise some maximums.",
            "twice",
        ),
        (
            1e9,
            {"a-search": Bound(locked=True)},
            None,
            "each other channel at most the most the model has seen it spend): unlock channels.",
            "maximums",
        ),
        (1.0, {"b-social": Bound(min=5000.0)}, None, "($5,000): lower some minimums.", "half"),
        (
            1.0,
            {"b-social": Bound(min=5000.0)},
            2.0,
            "each other channel kept at least half of today's spend or its quietest month's): "
            "lower some minimums or let channels move further",
            "unlock",
        ),
    ],
)
def test_a_refusal_names_only_what_holds_the_budget(budget, bounds, reach, said, not_said):
    with pytest.raises(PlanError) as refused:
        Planner(channels(), days=DAYS).optimise(budget, bounds, reach=reach)
    assert said in str(refused.value) and not_said not in str(refused.value)


def test_near_today_keeps_channels_without_bounds_between_half_and_twice_todays_spend():
    # Print brings less for its first dollar than the others for their last:
    # left free, the best split cuts it to nothing.
    print_ = curve("d-print", "Print", ceiling=5, half=100, today=100, seed=4)
    planner = Planner([*channels(), print_], days=DAYS)
    budget = sum(planner.today().values())
    free = planner.optimise(budget)
    assert free.allocation["d-print"] < 0.01 * planner.today()["d-print"]
    near = planner.optimise(budget, reach=2)
    for slug, today in planner.today().items():
        assert today / 2 - 0.01 <= near.allocation[slug] <= today * 2 + 0.01, slug
    assert near.allocation["d-print"] == pytest.approx(planner.today()["d-print"] / 2, rel=1e-3)
    assert near.total == pytest.approx(budget, rel=1e-6)
    assert near.outcome.mean > near.today_outcome.mean
    # A bound given replaces its side of the range, for its channel only.
    bounded = planner.optimise(budget, {"d-print": Bound(min=0.0)}, reach=2)
    assert bounded.allocation["d-print"] < 0.01 * planner.today()["d-print"]
    for slug in ("a-search", "b-social", "c-events"):
        assert bounded.allocation[slug] >= planner.today()[slug] / 2 - 0.01, slug
    capped = planner.optimise(budget, {"a-search": Bound(max=200.0 * DAYS)}, reach=2)
    assert capped.allocation["a-search"] <= 200 * DAYS + 0.01
    assert capped.allocation["d-print"] >= planner.today()["d-print"] / 2 - 0.01
    # A target is reached within the same range.
    target = planner.smallest_budget(near.outcome.mean, reach=2)
    assert target.allocation["d-print"] >= planner.today()["d-print"] / 2 - 0.01


def test_near_today_widens_to_the_quietest_and_busiest_month_the_model_has_seen():
    # Print had a month at a tenth of today's daily cost and one at three
    # times it: near today, it may go as low and as high as those.
    print_ = curve("d-print", "Print", ceiling=5, half=100, today=100, seed=4)
    seen = ChannelCurve(**{**print_.__dict__, "months_seen": (10.0, 300.0)})
    planner = Planner([*channels(), seen], days=DAYS)
    budget = sum(planner.today().values())
    near = planner.optimise(budget, reach=2)
    assert near.allocation["d-print"] == pytest.approx(10 * DAYS, rel=1e-3)
    for slug in ("a-search", "b-social", "c-events"):  # no months said: half to twice
        today = planner.today()[slug]
        assert today / 2 - 0.01 <= near.allocation[slug] <= today * 2 + 0.01, slug
    # The busiest month raises the ceiling (a budget only Print can take).
    others = sum(planner.today()[s] * 2 for s in ("a-search", "b-social", "c-events"))
    most = planner.optimise(others + 300 * DAYS, reach=2)
    assert most.allocation["d-print"] == pytest.approx(300 * DAYS, rel=1e-3)
    with pytest.raises(PlanError, match="or its busiest month's"):
        planner.optimise(others + 300 * DAYS + 100, reach=2)
    # Months narrower than half to twice today's leave that range as it is.
    narrow = ChannelCurve(**{**print_.__dict__, "months_seen": (90.0, 110.0)})
    planner = Planner([*channels(), narrow], days=DAYS)
    near = planner.optimise(budget, reach=2)
    assert near.allocation["d-print"] == pytest.approx(planner.today()["d-print"] / 2, rel=1e-3)


def test_a_budget_outside_the_range_near_today_says_how_to_widen_it():
    planner = Planner(channels(), days=DAYS)
    today = sum(planner.today().values())
    with pytest.raises(PlanError, match="each channel at most twice today's spend"):
        planner.optimise(today * 2.5, reach=2)
    with pytest.raises(PlanError, match="at least half of today's spend"):
        planner.optimise(today * 0.4, reach=2)
    assert planner.optimise(today * 2.5).total == pytest.approx(today * 2.5, rel=1e-6)


def s_curve(slug, ceiling, half, today, shape, draws=40, seed=5):
    """Draws of a Hill curve of slope `shape` (above 1: S-shaped, the first
    dollars bring little) on a grid up to 4 x today."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(0, 4 * today, 41)
    factors = np.exp(rng.normal(0, 0.05, size=draws))
    return ChannelCurve(
        slug=slug,
        name=slug.title(),
        spend=grid,
        samples=np.outer(factors, ceiling * grid**shape / (grid**shape + half**shape)),
        today_daily=today,
    )


def test_the_best_split_is_found_when_an_s_shaped_curve_gives_two_peaks():
    # Video brings little for its first dollars and much once past them;
    # Search brings something from the first dollar. From an even spread a
    # local search keeps the budget in Search; the best split is in Video.
    curves = [
        s_curve("search", ceiling=400, half=150, today=100, shape=1.0),
        s_curve("video", ceiling=3000, half=500, today=100, shape=4.0),
    ]
    planner = Planner(curves, days=DAYS)
    budget = 300.0 * DAYS
    plan = planner.optimise(budget)
    brute = max(
        planner.draws({"search": budget - video, "video": video}).mean()
        for video in np.linspace(0, budget, 601)
    )
    assert plan.outcome.mean >= brute * 0.999
    assert plan.allocation["video"] > plan.allocation["search"]


def test_channels_planned_at_the_edge_of_their_range_are_named():
    planner = Planner(channels(), days=DAYS)
    highs = sum(high for _, high in planner._limits({}, 2.0))
    full = planner.optimise(highs, reach=2.0)
    assert full.at_limit == {slug: "maximum" for slug in planner.slugs}
    assert full.notes == [
        "3 of 3 channels are planned at the least or the most they may take (marked below): "
        "the model would move them further. Give them other bounds, or let channels move "
        "further from today's spend to see how far."
    ]
    assert {c["slug"]: c["at"] for c in full.as_json()["channels"]} == full.at_limit
    # A minimum that holds a channel up is named; a channel cut to nothing is not.
    held = planner.optimise(3000.0, {"c-events": Bound(min=2500.0)})
    assert held.at_limit.get("c-events") == "minimum"
    assert all(held.allocation[s] > 1.0 for s in held.at_limit)


def _short_search():
    """Search's curve ends at 1.5 x today's spend (the most the model has seen)."""
    curves = channels()
    search = curves[0]
    curves[0] = ChannelCurve(
        **{**search.__dict__, "spend": search.spend[:7], "samples": search.samples[:, :7]}
    )
    return Planner(curves, days=DAYS)


def test_near_today_never_goes_past_the_most_the_model_has_seen():
    """Twice today's spend went past the curve's last point, where the plan
    stopped without a mark while saying it stayed within what was seen."""
    planner = _short_search()
    limits = dict(zip(planner.slugs, planner._limits({}, 2.0), strict=True))
    assert limits["a-search"][1] == pytest.approx(450 * DAYS)  # not 600
    full = planner.optimise(sum(high for _, high in limits.values()), reach=2.0)
    assert full.capped == ["a-search"]
    # Marked as at the most the model has seen, not as at a bound to widen.
    assert full.at_limit == {"b-social": "maximum", "c-events": "maximum"}
    assert full.notes[-1] == (
        "Zulu Search is planned at the most the model has seen spent there, or past it "
        "(marked below): its curves say nothing beyond that point, so more would bring "
        "nothing the model can show."
    )


def test_a_minimum_above_the_curve_is_planned_not_refused_as_a_maximum_never_given():
    planner = _short_search()
    plan = planner.optimise(600 * DAYS, {"a-search": Bound(min=500 * DAYS)})
    assert plan.allocation["a-search"] == pytest.approx(500 * DAYS)
    assert plan.capped == ["a-search"] and "a-search" not in plan.at_limit
