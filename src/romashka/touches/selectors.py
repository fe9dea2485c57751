"""Reads of the touch system within the user's scope: my tasks, the team's, the responsible person's,
standards, the outbox, and the uplift of each standard against its control group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from romashka.core.access import Capability, in_scope, require, scope_for
from romashka.engine.uplift import mean_difference, proportion_difference, verdict, window_outcomes
from romashka.path.models import Purchase
from romashka.touches.choices import SENT_CHANNELS, Group, LeavingReason, TaskState
from romashka.touches.models import Entry, Message, Standard, StandardVersion, Task


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) as aware datetimes: a range the index can use,
    unlike a date cast of every row (SQLite runs that cast in Python)."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(first, time.min, zone), datetime.combine(last + timedelta(days=1), time.min, zone))


def _tasks_with_card(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """Everything a task card shows, in the same query; a step for a committee role names the member to speak to."""
    from romashka.discovery.models import CommitteeMember

    member = CommitteeMember.objects.filter(company_id=OuterRef("party_id"), role=OuterRef("step__committee_role"))
    return queryset.select_related(
        "party__status_snapshot", "location", "step__version", "executor__party", "entry",
    ).annotate(committee_contact=Subquery(member.order_by("person__name", "pk").values("person__name")[:1]))


def my_tasks(*, user, today: date) -> QuerySet[Task]:
    """The user's open tasks due today or overdue, oldest first; the control group is never among them."""
    scope = scope_for(user)
    return _tasks_with_card(Task.objects.filter(
        organisation_id=scope.organisation_id, executor__user=user, state=TaskState.OPEN, due_on__lte=today,
    ).exclude(channel__in=SENT_CHANNELS)).order_by("due_on", "pk")


def my_upcoming_count(*, user, today: date) -> int:
    return (Task.objects.filter(executor__user=user, state=TaskState.OPEN, due_on__gt=today)
            .exclude(channel__in=SENT_CHANNELS).count())


def team_tasks(*, user) -> QuerySet[Task]:
    scope = require(user, Capability.VIEW_TEAM_TASKS)
    return in_scope(Task.objects.filter(organisation_id=scope.organisation_id), scope, "location_id")


def team_work(*, user) -> QuerySet[Task]:
    """The team's tasks that people do: calls and meetings; SMS, e-mail and messenger go out by themselves."""
    return team_tasks(user=user).exclude(channel__in=SENT_CHANNELS)


@dataclass(frozen=True)
class TeamRow:
    location: str | None
    executor: str | None
    due_today: int
    overdue: int
    open: int
    done_week: int


def team_summary(*, user, today: date) -> list[TeamRow]:
    """Open, overdue and due-today tasks per location and executor: one grouped query."""
    week_ago, _end = _day_bounds(today - timedelta(days=7), today)
    rows = (team_work(user=user).filter(Q(state=TaskState.OPEN) | Q(state=TaskState.DONE, done_at__gte=week_ago))
            .values("location__name", "executor__party__name")
            .annotate(
                due_today=Count("pk", filter=Q(state=TaskState.OPEN, due_on=today)),
                overdue=Count("pk", filter=Q(state=TaskState.OPEN, due_on__lt=today)),
                open=Count("pk", filter=Q(state=TaskState.OPEN)),
                done_week=Count("pk", filter=Q(state=TaskState.DONE)),
            ).order_by("location__name", "executor__party__name"))
    return [TeamRow(r["location__name"], r["executor__party__name"], r["due_today"], r["overdue"], r["open"],
                    r["done_week"]) for r in rows]


def team_overdue(*, user, today: date, location_id: int | None = None) -> QuerySet[Task]:
    tasks = team_work(user=user).filter(state=TaskState.OPEN, due_on__lt=today)
    if location_id:
        tasks = tasks.filter(location_id=location_id)
    return _tasks_with_card(tasks).order_by("due_on", "pk")


def responsible_summary(*, user, today: date) -> list[dict]:
    """Per standard the user answers for: tasks open, overdue, done and cancelled, and the outcomes."""
    scope = scope_for(user)
    return list(Task.objects.filter(organisation_id=scope.organisation_id, responsible=user)
                .values("step__version__standard_id", "step__version__standard__trigger")
                .annotate(open=Count("pk", filter=Q(state=TaskState.OPEN)),
                          overdue=Count("pk", filter=Q(state=TaskState.OPEN, due_on__lt=today)),
                          done=Count("pk", filter=Q(state=TaskState.DONE)),
                          cancelled=Count("pk", filter=Q(state=TaskState.CANCELLED)),
                          reached=Count("pk", filter=Q(outcome="reached") | Q(outcome="will_come")))
                .order_by("step__version__standard_id"))


def responsible_overdue(*, user, today: date) -> QuerySet[Task]:
    scope = scope_for(user)
    return _tasks_with_card(Task.objects.filter(organisation_id=scope.organisation_id, responsible=user,
                                                state=TaskState.OPEN, due_on__lt=today)).order_by("due_on", "pk")


def standards_current(*, user) -> list[StandardVersion]:
    """Each standard's newest version with its steps, in two queries."""
    from romashka.touches.services import current_versions

    scope = scope_for(user)
    return current_versions(organisation=scope.organisation_id)


def standard_history(*, user, standard_id: int) -> tuple[Standard, list[StandardVersion]]:
    from romashka.touches.services import _standard_in_scope

    standard = _standard_in_scope(user, standard_id)
    versions = list(standard.versions.select_related("responsible", "created_by").prefetch_related("steps"))
    return standard, versions


def outbox(*, user) -> QuerySet[Message]:
    scope = require(user, Capability.MANAGE_TOUCHES)
    return (Message.objects.filter(organisation_id=scope.organisation_id)
            .select_related("party", "task__step").order_by("-created_at", "-pk"))


# ---------------------------------------------------------------- uplift


@dataclass(frozen=True)
class Uplift:
    standard_id: int
    name: str
    date_from: date
    date_to: date
    window_days: int
    treated: int
    control: int
    conversion_treated: float | None
    conversion_control: float | None
    conversion_difference: float | None
    conversion_low: float | None
    conversion_high: float | None
    revenue_treated: float | None
    revenue_control: float | None
    revenue_difference: float | None
    revenue_low: float | None
    revenue_high: float | None
    verdict: str
    pending: int  # entries whose window has not closed yet: counted once it has


def _finite(value) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def uplift(*, user, standard_id: int, date_from: date, date_to: date, as_of: date,
           window_days: int | None = None) -> Uplift:
    """Entries of the standard in [date_from, date_to] whose window (N days after the entry) has closed by
    `as_of`: conversion and revenue per client, treated against control, with 95% intervals and a verdict.

    Treated means assigned to be touched (whether or not the touch happened), so the comparison stays
    as random as the assignment.
    """
    scope = require(user, Capability.VIEW_UPLIFT)
    standard = Standard.objects.filter(pk=standard_id, organisation_id=scope.organisation_id).first()
    if standard is None:
        from django.http import Http404

        raise Http404("standard not found")
    version = standard.versions.order_by("-number").first()
    days = window_days or version.conversion_days
    last_complete = min(date_to, as_of - timedelta(days=days))
    entries = in_scope(Entry.objects.filter(standard=standard, entered_on__gte=date_from), scope, "location_id")
    pending = entries.filter(entered_on__gt=last_complete, entered_on__lte=date_to).count()
    rows = list(entries.filter(entered_on__lte=last_complete).values_list("party_id", "entered_on", "group"))
    party = np.array([r[0] for r in rows], dtype=np.int64)
    day = np.array([r[1].toordinal() for r in rows], dtype=np.int64)
    treated = np.array([r[2] == Group.TREATED for r in rows], dtype=bool)
    if rows:
        day_party, day_ordinal, day_amount = _purchase_days(
            organisation_id=scope.organisation_id, parties=entries.filter(entered_on__lte=last_complete),
            after=date_from, until=last_complete + timedelta(days=days))
        converted, revenue = window_outcomes(party, day, day_party, day_ordinal, day_amount, days)
    else:
        converted, revenue = np.zeros(0, dtype=bool), np.zeros(0)
    n_t, n_c = int(treated.sum()), int((~treated).sum())
    x_t, x_c = int(converted[treated].sum()), int(converted[~treated].sum())
    c_diff, c_low, c_high = proportion_difference(x_t, n_t, x_c, n_c)
    rt, rc = revenue[treated], revenue[~treated]
    r_diff, r_low, r_high = mean_difference(rt.sum(), (rt**2).sum(), n_t, rc.sum(), (rc**2).sum(), n_c)
    return Uplift(
        standard_id=standard.pk, name=version.name, date_from=date_from, date_to=date_to, window_days=days,
        treated=n_t, control=n_c,
        conversion_treated=x_t / n_t if n_t else None, conversion_control=x_c / n_c if n_c else None,
        conversion_difference=_finite(c_diff), conversion_low=_finite(c_low) if n_t and n_c else None,
        conversion_high=_finite(c_high) if n_t and n_c else None,
        revenue_treated=float(rt.mean()) if n_t else None, revenue_control=float(rc.mean()) if n_c else None,
        revenue_difference=_finite(r_diff), revenue_low=_finite(r_low), revenue_high=_finite(r_high),
        verdict=verdict(c_low, c_high, n_t, n_c, x_t + x_c), pending=pending,
    )


def _purchase_days(*, organisation_id: int, parties: QuerySet, after: date, until: date):
    """(party, day ordinal, summed amount) of the entries' clients' purchase days in (after, until], as arrays.

    Raw SQL with plain numbers: the ORM's date and Decimal conversion cost a second per 30,000 rows.
    """
    from django.db import connection

    sub_sql, sub_params = parties.values("party_id").query.sql_with_params()
    table = connection.ops.quote_name(Purchase._meta.db_table)
    if connection.vendor == "postgresql":
        day_sql, amount_sql = "(purchased_on - DATE '0001-01-01') + 1", "SUM(amount)::float8"
    else:  # julianday of 0001-01-01 is 1721425.5; date.toordinal() counts that day as 1
        day_sql, amount_sql = "CAST(julianday(purchased_on) - 1721424.5 AS INTEGER)", "CAST(SUM(amount) AS REAL)"
    sql = (f"SELECT party_id, {day_sql}, {amount_sql} FROM {table} "  # noqa: S608 - names from model metadata
           f"WHERE organisation_id = %s AND purchased_on > %s AND purchased_on <= %s AND party_id IN ({sub_sql}) "
           "GROUP BY party_id, purchased_on")
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation_id, after, until, *sub_params])
        rows = cursor.fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    array = np.array(rows, dtype=float)
    return array[:, 0].astype(np.int64), array[:, 1].astype(np.int64), array[:, 2]


def leaving_reasons(*, user, date_from: date, date_to: date) -> list[tuple[str, str, int]]:
    """Reasons lost clients gave for leaving, most frequent first: (key, label, count)."""
    scope = require(user, Capability.VIEW_UPLIFT)
    start, end = _day_bounds(date_from, date_to)
    tasks = in_scope(Task.objects.filter(organisation_id=scope.organisation_id, state=TaskState.DONE,
                                         done_at__gte=start, done_at__lt=end)
                     .exclude(leaving_reason=""), scope, "location_id")
    counts = dict(tasks.values_list("leaving_reason").annotate(n=Count("pk")).values_list("leaving_reason", "n"))
    return sorted(((key, str(LeavingReason(key).label), n) for key, n in counts.items()), key=lambda r: (-r[2], r[0]))
