"""Operators see each sync stream's health where they see the Ozon connection."""

from __future__ import annotations

from referral.ozon.client import FBO_LIST

from devtools.fake_ozon import FakeOzon
from tests.admin.conftest import Api, admin_env, api, owner, telegram  # noqa: F401 (fixtures)
from tests.sync.world import run_sync


def test_the_connection_view_names_each_streams_state_and_a_failing_ones_reason(
    owner: Api,  # noqa: F811
    ozon: FakeOzon,
    sync_env: None,
) -> None:
    before = owner.get("/admin/settings/ozon").json["streams"]
    assert [(s["stream"], s["state"]) for s in before] == [
        ("fbs-created", "not_run_yet"),
        ("fbs-changed", "not_run_yet"),
        ("fbo", "not_run_yet"),
        ("returns", "not_run_yet"),
    ]
    ozon.fail(FBO_LIST, 404, message="Not Found")
    run_sync()

    streams = {s["stream"]: s for s in owner.get("/admin/settings/ozon").json["streams"]}

    assert streams["fbo"]["state"] == "failing"
    assert streams["fbo"]["failing_since"] and "HTTP 404" in streams["fbo"]["reason"]
    assert streams["fbo"]["last_success_at"] is None
    for working in ("fbs-created", "returns"):
        assert streams[working]["state"] == "ok" and streams[working]["last_success_at"]
    assert ozon.api_key not in owner.get("/admin/settings/ozon").text
