"""Login with the Telegram Login Widget and the session it opens."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from referral.admin import context
from referral.domain.numbers import JsonNumbers
from referral.services.admins import Admin

router = Router()  # type: ignore[no-untyped-call]


class TelegramLogin(JsonNumbers):
    """Exactly what the Login Widget returned; every field takes part in the signature check."""

    model_config = ConfigDict(extra="allow")

    id: Annotated[StrictInt, Field(ge=1, le=10**15)]
    first_name: Annotated[str | None, Field(max_length=256)] = None
    last_name: Annotated[str | None, Field(max_length=256)] = None
    username: Annotated[str | None, Field(max_length=256)] = None
    photo_url: Annotated[str | None, Field(max_length=2048)] = None
    auth_date: Annotated[StrictInt, Field(ge=0, le=10**11)]
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class DevLogin(JsonNumbers):
    """Local runs only: the admin to log in as."""

    telegram_id: Annotated[str, Field(pattern=r"^[0-9]{1,15}$")]


class LoginOptions(BaseModel):
    bot_username: str | None
    """The Login Widget's bot; null when not configured."""
    dev_login: bool
    """True only on a local run with ``ADMIN_DEV_LOGIN`` on."""


class AdminOut(BaseModel):
    telegram_id: str
    role: str
    name: str | None


class Session(BaseModel):
    token: str
    token_type: str = "Bearer"  # noqa: S105 — the scheme name, not a secret
    expires_at: int
    """Unix time when the token stops working."""
    admin: AdminOut


def admin_out(admin: Admin) -> AdminOut:
    return AdminOut(telegram_id=admin.telegram_id, role=admin.role.value, name=admin.name)


class LoggedOut(BaseModel):
    logged_out: bool = True


@router.post(
    "/auth/telegram",
    summary="Log in with Telegram Login Widget data (each login opens one session)",
    tags=["auth"],
)
def login(data: TelegramLogin) -> Session:
    event = router.current_event
    source = event.request_context.http.source_ip if isinstance(event, APIGatewayProxyEventV2) else None
    token, expires, admin = context.current().admins.login(data.model_dump(exclude_none=True), source)
    return Session(token=token, expires_at=expires, admin=admin_out(admin))


@router.post("/auth/logout", summary="End this session: its token is refused from now on", tags=["auth"])
def logout() -> LoggedOut:
    context.current().admins.logout(router.context["admin"])
    return LoggedOut()


@router.get("/auth/config", summary="How to log in here: the widget's bot and the local login", tags=["auth"])
def login_options() -> LoginOptions:
    return LoginOptions(bot_username=context.bot_username(), dev_login=context.current().auth.dev_login)


@router.post("/auth/dev", summary="Local development login by Telegram id (off when deployed)", tags=["auth"])
def dev_login(data: DevLogin) -> Session:
    token, expires, admin = context.current().admins.dev_login(data.telegram_id)
    return Session(token=token, expires_at=expires, admin=admin_out(admin))


@router.get("/auth/me", summary="The admin of this session", tags=["auth"])
def me() -> AdminOut:
    admin: Admin = router.context["admin"]
    return admin_out(admin)
