"""Access control: scoped API keys hashed at rest, analyses owned by their principal, and
state-changing requests that a cross-site form cannot forge."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.orm import ApiKey
from app.main import create_app
from tests.conftest import make_settings, reset_logging
from tests.factories import JSON, assert_problem, body


@pytest.fixture
def prod(
    database_url: str, engine: Engine, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """A client of a service configured like production: an admin key is set and callers
    without a key get the default scopes (read only)."""
    app = create_app(make_settings(database_url, anonymous_scopes=None))
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.sessionmaker = session_factory
        yield client


def issue(
    client: TestClient, admin: dict[str, str], principal: str, *scopes: str, **extra: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    response = client.post(
        "/v1/api-keys",
        json={"name": f"{principal} key", "principal": principal, "scopes": list(scopes), **extra},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return {"Authorization": f"Bearer {response.json()['secret']}"}, response.json()


# --- the cross-site empty POST (defect: the 415 check was skipped when there was no body) ------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "text/plain"}],
)
def test_an_empty_cross_site_form_post_saves_no_revision(
    client: TestClient, headers: dict[str, str]
) -> None:
    saved = client.post("/v1/analyses", json=body()).json()
    url = f"/v1/analyses/{saved['id']}/rerun?save=true"
    # What `<form method=post action=...>` sends from another site: no body, a form type or none.
    problem = assert_problem(client.post(url, headers=headers), 415)
    assert "Content-Type: application/json" in problem["detail"]
    assert client.get("/v1/analyses", params={"parent_id": saved["id"]}).json()["total"] == 0
    # A client that declares JSON (which a form cannot) may send an empty body.
    assert client.post(url, headers=JSON).status_code == 200
    assert client.get("/v1/analyses", params={"parent_id": saved["id"]}).json()["total"] == 1


def test_an_empty_post_with_an_authorization_header_is_not_a_form(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert client.post("/v1/catalog/refresh", headers=admin).status_code == 200


# --- keys ----------------------------------------------------------------------------------------


def test_keys_are_stored_hashed_and_shown_once(
    prod: TestClient, admin: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    auth, created = issue(prod, admin, "alice@example.com", "read", "analyses:write")
    secret = created["secret"]
    assert secret.startswith("lce_")
    assert len(secret) > 40
    with session_factory() as session:
        row = session.scalars(select(ApiKey).where(ApiKey.id == uuid.UUID(created["id"]))).one()
        stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert all(secret not in value for value in stored)
    assert row.key_sha256 != secret
    assert len(row.key_sha256) == 64
    listed = prod.get("/v1/api-keys", headers=admin).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert listed[0]["key_prefix"] == secret[:12]
    # Only `keys:admin` may manage keys.
    assert_problem(prod.get("/v1/api-keys", headers=auth), 403)
    assert_problem(prod.get("/v1/api-keys"), 401)


def test_a_revoked_key_stops_working(prod: TestClient, admin: dict[str, str]) -> None:
    auth, created = issue(prod, admin, "bob", "read", "analyses:write")
    assert prod.post("/v1/analyses", json=body(), headers=auth).status_code == 201
    revoked = prod.delete(f"/v1/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_problem(prod.post("/v1/analyses", json=body(), headers=auth), 403)
    assert_problem(prod.get("/v1/gpus", headers=auth), 403)


def test_unknown_scopes_are_refused(prod: TestClient, admin: dict[str, str]) -> None:
    response = prod.post(
        "/v1/api-keys",
        json={"name": "x", "principal": "x", "scopes": ["everything"]},
        headers=admin,
    )
    assert_problem(response, 422)


# --- scopes and ownership ------------------------------------------------------------------------


def test_without_a_key_a_production_service_is_read_only(prod: TestClient) -> None:
    assert prod.get("/v1/analyses").status_code == 200
    assert prod.post("/v1/estimates", json=body()["input"]).status_code == 200
    problem = assert_problem(prod.post("/v1/analyses", json=body()), 401)
    assert problem["required_scope"] == "analyses:write"


def test_a_key_without_analyses_write_cannot_change_an_analysis(
    prod: TestClient, admin: dict[str, str]
) -> None:
    owner, _ = issue(prod, admin, "alice", "read", "analyses:write")
    reader, _ = issue(prod, admin, "rita", "read")
    saved = prod.post("/v1/analyses", json=body(), headers=owner).json()
    url = f"/v1/analyses/{saved['id']}"
    assert saved["owner"] == "alice"
    for response in (
        prod.patch(url, json={"name": "mine now"}, headers=reader),
        prod.delete(url, headers=reader),
        prod.post(f"{url}/rerun?save=true", headers=reader),
        prod.post("/v1/analyses", json=body(), headers=reader),
    ):
        assert assert_problem(response, 403)["required_scope"] == "analyses:write"
    # Reading and re-running without saving need only `read`.
    assert prod.get(url, headers=reader).status_code == 200
    assert prod.post(f"{url}/rerun", headers=reader).status_code == 200
    assert prod.get(url).json()["name"] == saved["name"]


def test_others_cannot_change_or_delete_an_analysis_but_its_team_and_admins_can(
    prod: TestClient, admin: dict[str, str]
) -> None:
    alice, _ = issue(prod, admin, "alice", "read", "analyses:write", team="pricing")
    bob, _ = issue(prod, admin, "bob", "read", "analyses:write")
    carol, _ = issue(prod, admin, "carol", "read", "analyses:write", team="pricing")
    moderator, _ = issue(prod, admin, "mod", "read", "analyses:write", "analyses:admin")
    saved = prod.post("/v1/analyses", json=body(), headers=alice).json()
    url = f"/v1/analyses/{saved['id']}"
    assert (saved["owner"], saved["team"]) == ("alice", "pricing")

    assert_problem(prod.patch(url, json={"name": "bob's"}, headers=bob), 403)
    assert_problem(prod.delete(url, headers=bob), 403)
    assert prod.get(url).json()["name"] == saved["name"]
    # Bob may re-run it and keep the re-run: the revision is his.
    revision = prod.post(f"{url}/rerun?save=true", headers=bob).json()["revision"]
    assert (revision["owner"], revision["parent_id"]) == ("bob", saved["id"])

    assert prod.patch(url, json={"name": "team edit"}, headers=carol).status_code == 200
    assert prod.patch(url, json={"name": "moderated"}, headers=moderator).status_code == 200
    assert prod.delete(url, headers=alice).status_code == 204
    assert_problem(prod.delete(f"/v1/analyses/{revision['id']}", headers=alice), 403)
    assert prod.delete(f"/v1/analyses/{revision['id']}", headers=admin).status_code == 204


def test_analyses_saved_without_an_owner_need_an_admin(
    client: TestClient, prod: TestClient, admin: dict[str, str]
) -> None:
    # Saved by a caller without a key while the service was open: owned by `anonymous`.
    saved = client.post("/v1/analyses", json=body()).json()
    assert saved["owner"] == "anonymous"
    alice, _ = issue(prod, admin, "alice", "read", "analyses:write")
    assert_problem(prod.delete(f"/v1/analyses/{saved['id']}", headers=alice), 403)
    assert prod.delete(f"/v1/analyses/{saved['id']}", headers=admin).status_code == 204


# --- the command line ----------------------------------------------------------------------------


def test_the_cli_issues_lists_and_revokes_keys(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from app.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    try:
        argv = ["keys", "create", "--name", "ci", "--principal", "ci-bot", "--scope", "read"]
        assert main([*argv, "--scope", "analyses:write"]) == 0
        created = json.loads(capsys.readouterr().out)
        assert created["scopes"] == ["analyses:write", "read"]
        assert main(["keys", "list"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [k["principal"] for k in listed] == ["ci-bot"]
        assert "secret" not in listed[0]

        app = create_app(make_settings(empty_database_url, anonymous_scopes=None))
        with TestClient(app) as service:
            auth = {"Authorization": f"Bearer {created['secret']}"}
            saved = service.post("/v1/analyses", json=body(), headers=auth)
            assert saved.status_code == 201
            assert saved.json()["owner"] == "ci-bot"
            assert main(["keys", "revoke", created["id"]]) == 0
            assert json.loads(capsys.readouterr().out)["revoked_at"] is not None
            app.state.key_cache.clear()  # another process revoked it; skip the cache's delay
            assert service.get("/v1/gpus", headers=auth).status_code == 403
    finally:
        get_settings.cache_clear()
        reset_logging()
