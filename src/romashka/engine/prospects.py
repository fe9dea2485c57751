"""Statuses before the first purchase: lead (a contact, no purchase) and prospect (matches a target profile).

The contract (PRODUCT.md, "Lifecycle rules") calls a customer known only as a contact a *lead* and
one known only as matching a profile a *prospect*. Read literally for a party of the base:

* a party with a contact channel (phone, e-mail, messenger) or any purchase row is a lead;
* a party with neither that matches an active :class:`TargetProfile` is a prospect, unless it is marked
  not our client (the optional ``not_ours`` column): those are kept out of targets;
* a party with neither that matches no profile is a lead as well: it is in the base, so somebody
  has a way to reach it (a card number, a note), and no profile claims it as a target.

:func:`pre_purchase_expr` gives (customer_id, recorded_on, pre_status) for a table of parties with
the columns of :data:`PARTY_COLUMNS`; the lifecycle and the history take that table through their
``parties`` argument, so a party with no purchase day gets its status and its first event from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt

PARTY_COLUMNS = (
    "customer_id",  # string, as the purchases name the customer
    "recorded_on",  # date the party entered the base (null: unknown, counted from its first row)
    "has_contact",  # bool: at least one contact channel
    "form",  # "person" / "company" / "" (unknown)
    "city",
    "gender",  # "f" / "m" / ""
    "birthday",  # date or null
    "acquisition_channel",
)
# Optional: "not_ours" (bool), marked not our client — never a prospect, since such a party is no target.
PRE_PURCHASE_STATUSES = ("prospect", "lead")


@dataclass(frozen=True)
class TargetProfile:
    """Criteria of a target client; an empty criterion matches anyone, and all set criteria must hold."""

    form: str = ""
    cities: tuple[str, ...] = ()
    gender: str = ""
    age_min: int | None = None
    age_max: int | None = None
    acquisition_channels: tuple[str, ...] = ()


def _folded(column: ibis.Column) -> ibis.Column:
    # Not .strip(): on PySpark ibis trims the characters of ' \t\n\r\v\f', which Spark SQL reads as
    # including the letters "v" and "f", so gender "f" became "". A regular expression means the same everywhere.
    return column.fill_null("").re_replace(r"^\s+|\s+$", "").lower()


def _age_on(birthday: ibis.Column, day: date) -> ibis.Column:
    """Full years on ``day``; null without a birthday."""
    before_birthday = (birthday.month() > day.month) | ((birthday.month() == day.month) & (birthday.day() > day.day))
    return day.year - birthday.year() - ibis.ifelse(before_birthday, 1, 0)


def profile_match(parties: ibis.Table, profile: TargetProfile, *, as_of: date) -> ibis.Column:
    """Whether each party matches the profile at ``as_of`` (age is counted on that date)."""
    condition = ibis.literal(True)
    if profile.form:
        condition &= _folded(parties.form) == profile.form.strip().lower()
    if profile.cities:
        condition &= _folded(parties.city).isin([city.strip().lower() for city in profile.cities])
    if profile.gender:
        condition &= _folded(parties.gender) == profile.gender.strip().lower()
    if profile.age_min is not None or profile.age_max is not None:
        age = _age_on(parties.birthday, as_of)
        condition &= age.notnull()
        if profile.age_min is not None:
            condition &= age >= profile.age_min
        if profile.age_max is not None:
            condition &= age <= profile.age_max
    if profile.acquisition_channels:
        condition &= _folded(parties.acquisition_channel).isin(
            [channel.strip().lower() for channel in profile.acquisition_channels]
        )
    return condition


def pre_purchase_expr(parties: ibis.Table, *, profiles: Sequence[TargetProfile], as_of: date) -> ibis.Table:
    """(customer_id, recorded_on, pre_status) per party: its status while it has no purchase (module docstring).

    Purchase rows are not looked at here: the lifecycle and the history make a party with rows a lead.
    """
    matches = ibis.literal(False)
    for profile in profiles:
        matches |= profile_match(parties, profile, as_of=as_of)
    if "not_ours" in parties.columns:
        matches &= ~parties.not_ours.fill_null(False)
    return parties.select(
        customer_id=parties.customer_id.cast(dt.string),
        recorded_on=parties.recorded_on.cast(dt.date),
        pre_status=ibis.ifelse(~parties.has_contact.fill_null(False) & matches, "prospect", "lead"),
    )
