"""The pure helpers of the Slack side-by-side benchmark: the open-loop schedule, percentiles, ratios, matching."""

from __future__ import annotations

import pytest

from benchmarks.slack_side import growing, match_in_order, percentile, ratio, send_times, summary


def test_the_schedule_is_fixed_up_front_at_the_rate() -> None:
    times = send_times(200, 30, start=5.0)
    assert len(times) == 6000
    assert times[0] == 5.0
    assert times[1] - times[0] == pytest.approx(1 / 200)
    assert times[-1] == pytest.approx(5.0 + 5999 / 200)
    assert send_times(0, 30) == [] and send_times(10, 0) == []


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]  # 1 … 100
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([1.0, 2.0], 0.5) == 1.0


def test_summary_and_ratio() -> None:
    figures = summary([4.0, 1.0, 3.0, 2.0])
    assert figures == {"n": 4, "p50_ms": 2.0, "p99_ms": 4.0, "mean_ms": 2.5, "max_ms": 4.0}
    assert summary([])["n"] == 0
    assert ratio(30.0, 20.0) == 1.5
    assert ratio(1.0, 0.0) is None
    assert ratio(float("nan"), 2.0) is None


def test_a_growing_queue_is_seen() -> None:
    assert not growing([10.0] * 30)
    assert growing([10.0] * 10 + [50.0] * 10 + [200.0] * 10)
    assert not growing([10.0, 500.0])  # too few to tell


def test_posts_are_matched_to_requests_per_channel_in_order() -> None:
    sent = [("C1", 0.0), ("C2", 0.1), ("C1", 0.2), ("C3", 0.3)]
    arrived = [("C2", 0.15), ("C1", 0.05), ("C1", 0.5), ("C4", 0.6)]
    latencies, unanswered, extra = match_in_order(sent, arrived)
    assert latencies == pytest.approx([0.05, 0.05, 0.3])
    assert unanswered == 1  # C3 never got its post
    assert extra == 1  # nobody asked in C4
