"""The admin read benchmark runs (small size) and every measured read stays within its request budget."""

from __future__ import annotations

from bench.admin_api import run


def test_list_pages_and_the_dashboard_cost_a_constant_number_of_requests() -> None:
    lines: list[str] = []
    rows = {name: calls for name, calls, *_ in run(300, out=lines.append)}

    assert rows["plain Query, one page (yardstick)"] == {"Query": 1}
    for sort in ("balance", "registration", "purchase sum"):
        assert rows[f"participants by {sort}, page 1"] == {"Query": 1, "BatchGetItem": 1}
    assert rows["dashboard (12 months)"] == {"Query": 1}
    assert any("× Query" in line for line in lines)
