"""The Ozon connection operators enter: header-safe, kept in Secrets Manager, clearable."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from referral.repository.models import OzonConnectionItem
from referral.repository.ozon_connection import DEFAULT_SECRET_NAME, SECRET_NAME_VARIABLE
from referral.services import Services

from devtools import local_run
from tests.admin.conftest import OWNER_ID, Api, audits, snapshot

KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def secret_value(name: str = DEFAULT_SECRET_NAME) -> str:
    return str(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def secret_names() -> list[str]:
    return [s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]]


def test_the_key_goes_to_the_secret_and_the_table_keeps_only_its_reference(
    owner: Api, domain: Services
) -> None:
    reply = owner.put("/admin/settings/ozon", {"client_id": " 12345 ", "api_key": f"  {KEY}\n"})

    assert (reply.status, reply.json["source"], reply.json["api_key_set"]) == (200, "operator", True)
    assert secret_value() == KEY
    item = OzonConnectionItem.get("OZON_CONNECTION", "CURRENT")
    assert (item.client_id, item.api_key) == ("12345", None)
    assert item.api_key_secret.endswith(DEFAULT_SECRET_NAME + item.api_key_secret[-7:])
    assert item.api_key_version
    assert KEY not in json.dumps(snapshot())
    assert domain.settings.ozon_credentials() == ("12345", KEY)


def test_a_new_key_is_a_new_version_and_readers_use_the_one_the_table_names(
    owner: Api, domain: Services
) -> None:
    owner.put("/admin/settings/ozon", {"client_id": "1", "api_key": KEY})
    first = OzonConnectionItem.get("OZON_CONNECTION", "CURRENT").api_key_version
    owner.put("/admin/settings/ozon", {"client_id": "2", "api_key": "second-key-0123456789"})

    assert OzonConnectionItem.get("OZON_CONNECTION", "CURRENT").api_key_version != first
    assert domain.settings.ozon_credentials() == ("2", "second-key-0123456789")
    # A version written without its table change (a failed transaction) is not used.
    boto3.client("secretsmanager").put_secret_value(SecretId=DEFAULT_SECRET_NAME, SecretString="orphan-key-1")
    assert domain.settings.ozon_credentials() == ("2", "second-key-0123456789")


def test_the_secret_name_follows_the_deployments_prefix(
    owner: Api, domain: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_NAME_VARIABLE, "shop-prod/ozon-api-key-operator")
    assert owner.put("/admin/settings/ozon", {"client_id": "7", "api_key": KEY}).status == 200
    assert secret_names() == ["shop-prod/ozon-api-key-operator"]
    assert secret_value("shop-prod/ozon-api-key-operator") == KEY


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("abc-def\nghi-jkl-mno", "ozon_api_key_characters"),
        ("abc-def ghi-jkl-mno", "ozon_api_key_characters"),
        ("abc-def\tghi-jkl-mno", "ozon_api_key_characters"),
        ("abc-def\u00a0ghi-jkl", "ozon_api_key_characters"),
        ("ключ-озон-1234567890", "ozon_api_key_characters"),
        ("abc-def\x00ghi-jkl-mno", "ozon_api_key_characters"),
    ],
)
def test_a_key_that_cannot_be_sent_as_a_header_is_refused_and_nothing_is_stored(
    owner: Api, key: str, reason: str
) -> None:
    before = snapshot()
    reply = owner.put("/admin/settings/ozon", {"client_id": "12345", "api_key": key})

    assert (reply.status, reply.error["details"]["reason"]) == (400, reason)
    assert "Api-Key" in reply.error["message"]
    assert snapshot() == before
    assert secret_names() == []


def test_a_client_id_that_is_not_digits_is_refused(owner: Api) -> None:
    assert owner.put("/admin/settings/ozon", {"client_id": "１２３", "api_key": KEY}).status in (400, 422)
    assert owner.put("/admin/settings/ozon", {"client_id": "12a", "api_key": KEY}).status == 422
    assert secret_names() == []


def test_the_first_connection_needs_a_key(owner: Api) -> None:
    reply = owner.put("/admin/settings/ozon", {"client_id": "12345"})
    assert (reply.status, reply.error["details"]["reason"]) == (409, "ozon_api_key_required")


def test_clearing_falls_back_to_the_deployments_credentials_and_is_audited(
    owner: Api, domain: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OZON_CLIENT_ID", "999")
    monkeypatch.setenv("OZON_API_KEY", "deployment-key-123")
    owner.put("/admin/settings/ozon", {"client_id": "12345", "api_key": KEY})

    reply = owner.delete("/admin/settings/ozon")

    assert reply.status == 200
    assert (reply.json["source"], reply.json["client_id"], reply.json["api_key_set"]) == (
        "deployment",
        "999",
        True,
    )
    assert domain.settings.ozon_credentials() == ("999", "deployment-key-123")
    assert secret_names() == []
    item = OzonConnectionItem.get("OZON_CONNECTION", "CURRENT")
    assert (item.client_id, item.api_key_secret, item.api_key_version) == (None, None, None)
    records = [a for a in audits() if a.action == "settings.ozon_connection"]
    assert len(records) == 2
    cleared = max(records, key=lambda a: a.created_at)
    assert cleared.actor_id == OWNER_ID
    assert {(c.attribute, c.new) for c in cleared.changes} == {("client_id", None), ("api_key", None)}
    # Set again after clearing: the secret is created anew.
    assert owner.put("/admin/settings/ozon", {"client_id": "5", "api_key": KEY}).status == 200
    assert domain.settings.ozon_credentials() == ("5", KEY)


def test_operators_cannot_change_or_clear_the_connection(owner: Api) -> None:
    assert owner.put("/admin/settings/ozon", {"client_id": "1", "api_key": KEY}, as_="operator").status == 403
    assert owner.delete("/admin/settings/ozon", as_="operator").status == 403
    assert secret_names() == []


def test_a_key_stored_in_the_table_by_an_earlier_release_moves_into_the_secret(
    owner: Api, domain: Services
) -> None:
    OzonConnectionItem("OZON_CONNECTION", "CURRENT", client_id="4242", api_key=KEY).save()
    # Readers (the sync, the bot) keep working with it before it is moved, and do not write.
    assert domain.settings.ozon_credentials() == ("4242", KEY)
    assert secret_names() == []

    reply = owner.get("/admin/settings/ozon")

    assert (reply.status, reply.json["api_key_set"], reply.json["source"]) == (200, True, "operator")
    item = OzonConnectionItem.get("OZON_CONNECTION", "CURRENT")
    assert (item.api_key, item.client_id) == (None, "4242")
    assert secret_value() == KEY
    assert KEY not in json.dumps(snapshot())
    assert domain.settings.ozon_credentials() == ("4242", KEY)


def test_a_plain_key_is_moved_on_write_too(owner: Api, domain: Services) -> None:
    OzonConnectionItem("OZON_CONNECTION", "CURRENT", client_id="4242", api_key=KEY).save()
    assert owner.put("/admin/settings/ozon", {"client_id": "4343"}).status == 200
    item = OzonConnectionItem.get("OZON_CONNECTION", "CURRENT")
    assert (item.api_key, item.client_id) == (None, "4343")
    assert domain.settings.ozon_credentials() == ("4343", KEY)


def test_a_referenced_secret_that_is_gone_is_reported_by_code_and_the_deployment_applies(
    owner: Api, domain: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner.put("/admin/settings/ozon", {"client_id": "12345", "api_key": KEY})
    boto3.client("secretsmanager").delete_secret(
        SecretId=DEFAULT_SECRET_NAME, ForceDeleteWithoutRecovery=True
    )
    monkeypatch.setenv("OZON_CLIENT_ID", "999")
    monkeypatch.setenv("OZON_API_KEY", "deployment-key-123")

    reply = owner.get("/admin/settings/ozon").json

    assert (reply["error_code"], reply["api_key_set"], reply["source"]) == (
        "key_unavailable",
        False,
        "deployment",
    )
    # A container started after the secret was deleted uses the deployment's credentials.
    restarted = Services.build(clock=domain.settings.clock).settings
    assert restarted.ozon_credentials() == ("999", "deployment-key-123")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("Ozon API credentials are not configured.", "not_configured"),
        ("Ozon rejected the API key (HTTP 403: denied). Check the Client-Id and Api-Key.", "key_rejected"),
        ("OzonUnavailable: Ozon /v4/posting/fbs/list failed 5 times; last: HTTP 503", "ozon_unavailable"),
        ("KeyError: 'postings'", "sync_failed"),
    ],
)
def test_the_syncs_error_reaches_operators_as_a_code(
    owner: Api, domain: Services, error: str, code: str
) -> None:
    domain.repos.administration.record_sync_health(domain.settings.clock(), error)
    assert owner.get("/admin/settings/ozon").json["error_code"] == code


def test_the_local_snapshot_holds_no_key(
    owner: Api, table_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    OzonConnectionItem("OZON_CONNECTION", "CURRENT", client_id="4242", api_key="legacy-key-0123456789").save()
    assert owner.put("/admin/settings/ozon", {"client_id": "12345", "api_key": KEY}).status == 200
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "https://dynamodb.eu-central-1.amazonaws.com")
    monkeypatch.setenv("TABLE_NAME", table_name)
    snapshot_file = tmp_path / "snapshot.json"

    assert local_run._save_snapshot(snapshot_file) > 0

    saved = snapshot_file.read_text()
    assert "OZON_CONNECTION" in saved
    assert KEY not in saved and "legacy-key-0123456789" not in saved
