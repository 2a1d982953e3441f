"""One tenant cannot stall another: slow hooks, a stalled database, the caps on actions.

The noisy-neighbour figures come from `bench.noisy` (rerun with `python -m bench.noisy`);
they are printed here too (`pytest -s`).
"""

from __future__ import annotations

import pytest

from bench.noisy import measure, report

P99_BOUND_MS = 250


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["async", "flask"])
def test_noisy_neighbour_cannot_slow_tenant_b(framework):
    result = measure(framework, hook_delay=5.0, duration=2.5)
    print("\n" + report(result))
    cap = result["cap"]
    assert cap == 4
    # A held its cap against a hook that answers after 5 s, and was refused past it,
    # by a 429 naming the tenant's limit; the held ones then succeeded, each called once.
    for status, retry_after, message in result["a_refused"]:
        assert status == 429 and int(retry_after) >= 1
        assert "its limit is 4" in message
    assert result["a_results"] == [201] * cap
    assert result["a_statuses"] == ["succeeded"] * cap
    assert result["hook_calls"] == cap
    # B measured while all of A's actions were in flight, and was not slowed.
    assert result["busy_within_hold"]
    for kind, figures in result["busy"].items():
        assert figures["n"] >= 20, kind
        assert figures["p99"] < P99_BOUND_MS, (kind, figures)
