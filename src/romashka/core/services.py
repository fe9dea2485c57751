"""Writes of the core: users and their roles, API tokens, login failures."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.core.choices import PartyKind, Role
from romashka.core.models import ApiToken, Location, LoginFailure, Membership, Organisation, Party

TOKEN_PREFIX = "rmk_"  # noqa: S105 - a public prefix, not a secret


@transaction.atomic
def user_create(
    *,
    organisation: Organisation,
    username: str,
    password: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    location: Location | None = None,
    partner: Party | None = None,
):
    """A user with a role in the organisation; the role's scope is checked before anything is written."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role %(role)s; expected one of: %(roles)s") % {
            "role": role, "roles": ", ".join(Role.values)})
    if role in (Role.LOCATION_MANAGER, Role.EMPLOYEE) and location is None:
        raise ValidationError(_("The role %(role)s needs a location.") % {"role": role})
    if role == Role.FRANCHISE_PARTNER:
        if partner is None:
            raise ValidationError(_("The role franchise_partner needs a partner."))
        if not partner.roles.filter(kind=PartyKind.FRANCHISE_PARTNER).exists():
            raise ValidationError(_("%(party)s is not a franchise partner.") % {"party": partner})
    if location is not None and location.organisation_id != organisation.pk:
        raise ValidationError(_("The location belongs to another organisation."))
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationError(_("A user named %(name)s already exists.") % {"name": username})
    user = user_model.objects.create_user(
        username=username,
        password=password,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.OWNER,
        is_superuser=role == Role.OWNER,
    )
    Membership.objects.create(user=user, organisation=organisation, role=role, location=location, partner=partner)
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token; the raw value is returned once and only its hash is kept."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip() or "API", prefix=raw[:10], token_hash=_token_hash(raw))
    return token, raw


def api_token_revoke(*, user, token_id: int) -> None:
    ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(raw: str):
    """The user of a live token, or None; marks the token as used."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=_token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def login_locked_until(*, username: str):
    """When the user name is locked out, the moment the lock ends; else None."""
    failure = LoginFailure.objects.filter(username=username.lower()).first()
    if failure and failure.locked_until and failure.locked_until > timezone.now():
        return failure.locked_until
    return None


@transaction.atomic
def login_failure_register(*, username: str) -> None:
    """Counts a wrong password; the limit within the lockout window locks the name for that window."""
    now = timezone.now()
    window = timedelta(minutes=settings.ROMASHKA_LOGIN_LOCKOUT_MINUTES)
    failure, _created = LoginFailure.objects.select_for_update().get_or_create(
        username=username.lower(), defaults={"failures": 0, "first_failure_at": now}
    )
    if now - failure.first_failure_at > window:
        failure.failures, failure.first_failure_at, failure.locked_until = 0, now, None
    failure.failures += 1
    if failure.failures >= settings.ROMASHKA_LOGIN_MAX_FAILURES:
        failure.locked_until = now + window
    failure.save()


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()
