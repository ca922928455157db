"""Admins of the admin app: Telegram login, session tokens, and the owners' management of admins (R11).

A session token is ``<payload>.<signature>``: the payload (admin id, session id and version, expiry) in
base64url JSON, signed with HMAC-SHA256 under a key derived from ``ADMIN_SESSION_SECRET``. Tokens are
short-lived, and every request re-reads the admin (one GetItem): blocking, removing or changing an admin
bumps its ``session_version``, which ends every token issued before at once, and so does logging out (on
the server: a copied token stops working too). A signed Telegram login opens one session only: its hash
is remembered until the login is too old anyway.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from referral.clock import utcnow
from referral.domain.audit import AuditRecord, Change, render
from referral.errors import (
    ActorChanged,
    AlreadyExists,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleRead,
)
from referral.repository import admin_accounts
from referral.repository.administration import AdministrationRepository
from referral.repository.models import AdminItem
from referral.services.login_guard import LoginGuard, LoginLimits

CLOCK_SKEW_SECONDS = 60


class Role(StrEnum):
    OWNER = "owner"
    OPERATOR = "operator"


class DevLoginDisabled(Forbidden):
    """The development login was asked for where it is not switched on (every deployed stack)."""

    code = "dev_login_disabled"


class Unauthorized(DomainError):
    """No valid credentials: the login or the session token is missing, forged, stale or revoked."""

    code = "unauthorized"


@dataclass(frozen=True, slots=True)
class Admin:
    telegram_id: str
    role: Role
    name: str | None
    session_version: int

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


@dataclass(frozen=True, slots=True)
class AuthSettings:
    bot_token: str
    session_secret: str
    bootstrap_ids: frozenset[str]
    session_seconds: int = 3600
    login_max_age_seconds: int = 86400
    dev_login: bool = False
    """Local runs only: log in by Telegram id without the widget (no Telegram to sign it locally)."""
    login_limits: LoginLimits = field(default_factory=LoginLimits)


def _session_ended() -> Unauthorized:
    return Unauthorized("Your admin account was changed meanwhile; log in again.", reason="session_ended")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def widget_name(fields: Mapping[str, Any]) -> str | None:
    """The name Telegram shows for the user: first and last name, or @username."""
    name = " ".join(str(fields[part]).strip() for part in ("first_name", "last_name") if fields.get(part))
    username = fields.get("username")
    return (name or (f"@{username}" if username else ""))[:100] or None


def login_hash_valid(fields: Mapping[str, Any], bot_token: str) -> bool:
    """Telegram Login Widget: hex(HMAC-SHA256(SHA256(bot_token), data_check_string)) == hash."""
    received = fields.get("hash")
    if not isinstance(received, str):
        return False
    check = "\n".join(
        f"{key}={fields[key]}" for key in sorted(fields) if key != "hash" and fields[key] is not None
    )
    secret_key = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret_key, check.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), received.encode("utf-8", "surrogatepass"))


class AdminService:
    def __init__(
        self,
        auth: AuthSettings,
        administration: AdministrationRepository | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.auth = auth
        self.administration = administration or AdministrationRepository()
        self.clock = clock
        self._signing_key = hashlib.sha256(b"admin-session\x00" + auth.session_secret.encode()).digest()
        self.guard = LoginGuard(auth.login_limits)

    # --- login and sessions ---------------------------------------------------------------------------

    def login(self, fields: Mapping[str, Any], source_address: str | None = None) -> tuple[str, int, Admin]:
        """Verify Login Widget data, used once; returns (token, expires_at, admin).

        ``TooManyRequests`` when the address, or the account once its signature is verified, made too
        many attempts in the window.
        """
        now = int(self.clock().timestamp())
        self.guard.count_address(source_address, now)
        if not login_hash_valid(fields, self.auth.bot_token):
            raise Unauthorized("The Telegram login signature is not valid.", reason="login_signature")
        self.guard.count_account(str(fields["id"]), now)
        auth_date = int(fields["auth_date"])
        if auth_date > now + CLOCK_SKEW_SECONDS or now - auth_date > self.auth.login_max_age_seconds:
            raise Unauthorized("The Telegram login is too old; log in again.", reason="login_expired")
        if not self.guard.use_once(str(fields["hash"]), auth_date + self.auth.login_max_age_seconds):
            raise Unauthorized("This Telegram login was used already; log in again.", reason="login_replayed")
        return self._open_session(str(fields["id"]), widget_name(fields))

    def _open_session(self, telegram_id: str, name: str | None = None) -> tuple[str, int, Admin]:
        now = int(self.clock().timestamp())
        item = self.administration.get_admin(telegram_id)
        if item is None and telegram_id in self.auth.bootstrap_ids:
            with contextlib.suppress(AlreadyExists):  # a concurrent first login created it
                self.administration.ensure_admin(telegram_id, Role.OWNER.value, self.clock())
            item = self.administration.get_admin(telegram_id)
        admin = self._active(item)
        if admin is None:
            raise Forbidden("This Telegram account is not an active admin.", reason="not_an_admin")
        if name and name != admin.name:
            admin_accounts.set_admin_name(telegram_id, name)
            admin = replace(admin, name=name)
        expires = now + self.auth.session_seconds
        return (
            self._sign({"sub": admin.telegram_id, "ver": admin.session_version, "exp": expires}),
            expires,
            admin,
        )

    def dev_login(self, telegram_id: str) -> tuple[str, int, Admin]:
        """Local development login: an active admin by id, no signature. Refused unless switched on."""
        if not self.auth.dev_login:
            raise DevLoginDisabled(
                "The development login is switched off; log in with Telegram.", reason="dev_login_disabled"
            )
        return self._open_session(telegram_id)

    def authenticate(self, token: str) -> Admin:
        """The admin a bearer token belongs to, re-checked against the admins list on every request."""
        claims = self._verify(token)
        admin = self._active(self.administration.get_admin(str(claims["sub"])))
        if admin is None or admin.session_version != claims.get("ver"):
            raise Unauthorized("The session has ended; log in again.", reason="session_ended")
        return admin

    def logout(self, admin: Admin) -> None:
        """End the admin's sessions on the server: their tokens are refused from now on, wherever copied.

        The session version is what every request checks already, so this costs no extra read.
        """
        admin_accounts.end_sessions(admin.telegram_id, admin.session_version)

    def _sign(self, claims: dict[str, Any]) -> str:
        payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        signature = _b64(hmac.new(self._signing_key, payload.encode(), hashlib.sha256).digest())
        return f"{payload}.{signature}"

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            payload, signature = token.split(".")
            expected = _b64(hmac.new(self._signing_key, payload.encode(), hashlib.sha256).digest())
            # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError, not a mismatch).
            if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "surrogatepass")):
                raise ValueError("signature")
            claims = json.loads(_unb64(payload))
            if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
                raise ValueError("claims")
        except (ValueError, UnicodeError, json.JSONDecodeError):
            raise Unauthorized(
                "The session token is not valid; log in again.", reason="session_invalid"
            ) from None
        if claims["exp"] <= int(self.clock().timestamp()):
            raise Unauthorized("The session has expired; log in again.", reason="session_expired")
        return claims

    @staticmethod
    def _active(item: AdminItem | None) -> Admin | None:
        if item is None or not item.active or item.blocked or item.role not in Role.__members__.values():
            return None
        return Admin(item.telegram_id, Role(item.role), item.name, item.session_version)

    # --- management (owners) ----------------------------------------------------------------------------

    def list(self) -> list[AdminItem]:
        return admin_accounts.admins()

    def get(self, telegram_id: str) -> AdminItem:
        item = self.administration.get_admin(telegram_id)
        if item is None:
            raise NotFound("Admin not found.", details={"telegram_id": telegram_id}, reason="admin_not_found")
        return item

    def add(
        self, actor: Admin, telegram_id: str, role: Role, name: str | None, reason: str | None = None
    ) -> AdminItem:
        if not telegram_id.isdigit():
            raise InvalidInput("A Telegram user id is a number.", reason="telegram_id_format")
        existing = self.administration.get_admin(telegram_id)
        if existing is not None:
            if existing.active:
                raise Conflict(
                    "This user is already an admin.",
                    details={"telegram_id": telegram_id},
                    reason="admin_exists",
                )
            self._change(
                actor, existing, "admin.add", {"active": True, "blocked": False, "role": role.value}, reason
            )
            return self.get(telegram_id)
        now = self.clock()
        audit = self._audit(
            actor,
            "admin.add",
            telegram_id,
            name,
            (Change("role", None, role.value), Change("active", None, "true")),
            reason,
        )
        try:
            self.administration.commit_admin_create(
                telegram_id, role.value, name, self._acting(actor), audit, now
            )
        except ActorChanged:
            raise _session_ended() from None
        return self.get(telegram_id)

    def remove(self, actor: Admin, telegram_id: str, reason: str | None = None) -> AdminItem:
        item = self._other(actor, telegram_id)
        if not item.active:
            return item
        self._change(actor, item, "admin.remove", {"active": False}, reason)
        return self.get(telegram_id)

    def set_blocked(
        self, actor: Admin, telegram_id: str, blocked: bool, reason: str | None = None
    ) -> AdminItem:
        item = self._other(actor, telegram_id)
        if bool(item.blocked) == blocked:
            return item
        self._change(actor, item, "admin.block" if blocked else "admin.unblock", {"blocked": blocked}, reason)
        return self.get(telegram_id)

    def set_role(self, actor: Admin, telegram_id: str, role: Role, reason: str | None = None) -> AdminItem:
        item = self._other(actor, telegram_id)
        if item.role == role.value:
            return item
        self._change(actor, item, "admin.role", {"role": role.value}, reason)
        return self.get(telegram_id)

    def _other(self, actor: Admin, telegram_id: str) -> AdminItem:
        if telegram_id == actor.telegram_id:
            raise Forbidden("You cannot change your own admin account.", reason="own_account")
        return self.get(telegram_id)

    @staticmethod
    def _acting(actor: Admin) -> tuple[str, int]:
        """The acting owner as authenticated: every change commits only if that owner is unchanged.

        Nobody changes their own account, so the actor is an active owner other than the admin changed,
        and at least one active owner remains after every change — even when two owners block, demote
        or remove each other at the same moment (one of the two transactions fails on this check).
        """
        return actor.telegram_id, actor.session_version

    def _change(
        self, actor: Admin, item: AdminItem, action: str, fields: dict[str, Any], reason: str | None
    ) -> None:
        changes = tuple(
            Change(name, render(getattr(item, name)), render(value))
            for name, value in fields.items()
            if getattr(item, name) != value
        )
        audit = self._audit(actor, action, item.telegram_id, item.name, changes, reason)
        try:
            self.administration.commit_admin_change(
                item.telegram_id, item.session_version, fields, audit, self._acting(actor)
            )
        except ActorChanged:
            raise _session_ended() from None
        except StaleRead:
            raise Conflict("The admin was changed meanwhile; reload and try again.", reason="stale") from None

    def _audit(
        self,
        actor: Admin,
        action: str,
        telegram_id: str,
        name: str | None,
        changes: tuple[Change, ...],
        reason: str | None,
    ) -> AuditRecord:
        return AuditRecord(
            audit_id=uuid.uuid4().hex,
            actor_id=actor.telegram_id,
            action=action,
            object_type="admin",
            object_id=telegram_id,
            object_name=name,
            created_at=self.clock(),
            changes=changes,
            reason=reason,
        )
