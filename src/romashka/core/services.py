"""Writes of the core: users and their roles, guests, API tokens, login failures."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.core.access import Capability, access_location, require
from romashka.core.choices import ChannelKind, PartyKind, Role
from romashka.core.errors import Conflict, NotFoundInScope
from romashka.core.models import (
    ApiToken,
    Channel,
    Location,
    LoginFailure,
    Membership,
    Organisation,
    Party,
    PartyRole,
)
from romashka.ingest.values import normalize_email, normalize_phone

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


@transaction.atomic
def guest_create(
    *,
    user,
    name: str,
    home_location_id: int,
    external_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    consent: bool = False,
    consent_source: str = "api",
) -> Party:
    """A guest of the user's organisation at a location in the user's scope, with phone and e-mail channels.

    ValidationError names each bad field; NotFoundInScope when the location is not the user's;
    Conflict when the external id is taken. Nothing is written unless everything is valid.
    """
    scope = require(user, Capability.CREATE_CLIENTS)
    problems: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        problems["name"] = _("A name is required.")
    external_id = external_id if external_id and external_id.strip() else None  # kept as given, like imports
    phone_normalized = normalize_phone(phone) if phone else None
    if phone and phone_normalized is None:
        problems["phone"] = _("%(value)s is not a phone number; expected e.g. +7 916 123-45-67.") % {"value": phone}
    email_normalized = normalize_email(email) if email else None
    if email and email_normalized is None:
        problems["email"] = _("%(value)s is not an e-mail address.") % {"value": email}
    if problems:
        raise ValidationError(problems)
    try:
        location = access_location(user, home_location_id)
    except Http404:
        raise NotFoundInScope(
            _("Location %(id)s is not among your locations.") % {"id": home_location_id},
            {"home_location_id": _("not among your locations")},
        ) from None
    taken = _("A party with the external id %(value)s already exists.") % {"value": external_id}
    if external_id and Party.objects.filter(organisation_id=scope.organisation_id, external_id=external_id).exists():
        raise Conflict(taken, {"external_id": taken})
    try:
        with transaction.atomic():
            party = Party.objects.create(
                organisation_id=scope.organisation_id, name=name, external_id=external_id,
                home_location=location, city=location.city,
            )
    except IntegrityError:  # the same external id arrived in a parallel request
        raise Conflict(taken, {"external_id": taken}) from None
    PartyRole.objects.create(party=party, kind=PartyKind.GUEST, since=timezone.localdate())
    consent_at = timezone.now() if consent else None
    channels = [
        Channel(party=party, kind=kind, value=raw.strip(), normalized=normalized, is_primary=primary,
                consent_at=consent_at, consent_source=consent_source if consent else "")
        for kind, raw, normalized, primary in (
            (ChannelKind.PHONE, phone, phone_normalized, True),
            (ChannelKind.EMAIL, email, email_normalized, phone_normalized is None),
        )
        if normalized
    ]
    Channel.objects.bulk_create(channels)
    return party


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
