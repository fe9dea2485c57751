"""The one access layer: what a user's role allows and which locations it sees.

Pages, the API and exports all ask here; nothing else filters by role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from romashka.core.choices import PartyKind, Role
from romashka.core.models import Employee, Location, Membership, Organisation, Party


class Capability(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_CLIENTS = "view_clients"
    VIEW_CONTACTS = "view_contacts"  # unmasked phones and e-mails of clients
    VIEW_PURCHASES = "view_purchases"
    CREATE_PURCHASES = "create_purchases"
    CREATE_CLIENTS = "create_clients"
    VIEW_STAFF = "view_staff"
    VIEW_STAFF_PERSONAL = "view_staff_personal"  # hire and exit dates, contacts of staff
    VIEW_PARTNERS = "view_partners"  # suppliers, investors, community
    EXPORT = "export"
    USE_API = "use_api"
    MANAGE_SETTINGS = "manage_settings"
    REFRESH_STATUSES = "refresh_statuses"  # recompute status snapshots and events of the client's path
    SET_PURCHASE_CYCLE = "set_purchase_cycle"  # see the gap distribution and choose the purchase cycle
    MANAGE_TOUCHES = "manage_touches"  # edit touch standards, see the control group and the outbox
    VIEW_TEAM_TASKS = "view_team_tasks"  # the tasks of everyone at the visible locations
    VIEW_UPLIFT = "view_uplift"  # what each touch standard brings against its control group
    VIEW_PLANNING = "view_planning"  # forecasts, revenue targets and the fitted CLV models of the network
    VIEW_DISCOVERY = "view_discovery"  # segments, Pareto, RFM, not our client, interviews, jobs, B2B committees
    VIEW_FEEDBACK = "view_feedback"  # client NPS and journey-stage results of the visible locations
    VIEW_STAFF_FEEDBACK = "view_staff_feedback"  # eNPS, the internal service and the link, anonymous groups only
    MANAGE_SURVEYS = "manage_surveys"  # create survey waves and send or download their personal links


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.OWNER: frozenset(Capability),
    Role.CRM_MANAGER: frozenset(
        {C.VIEW_DASHBOARD, C.VIEW_DISCOVERY, C.VIEW_CLIENTS, C.VIEW_CONTACTS, C.VIEW_PURCHASES, C.CREATE_PURCHASES,
         C.CREATE_CLIENTS, C.VIEW_PARTNERS, C.EXPORT, C.USE_API, C.REFRESH_STATUSES, C.SET_PURCHASE_CYCLE,
         C.MANAGE_TOUCHES, C.VIEW_TEAM_TASKS, C.VIEW_UPLIFT, C.VIEW_PLANNING, C.VIEW_FEEDBACK, C.MANAGE_SURVEYS}
    ),
    Role.LOCATION_MANAGER: frozenset(
        {C.VIEW_DASHBOARD, C.VIEW_CLIENTS, C.VIEW_CONTACTS, C.VIEW_PURCHASES, C.VIEW_STAFF, C.EXPORT,
         C.VIEW_TEAM_TASKS, C.VIEW_FEEDBACK, C.VIEW_STAFF_FEEDBACK}
    ),
    Role.EMPLOYEE: frozenset({C.VIEW_DASHBOARD, C.VIEW_CLIENTS, C.VIEW_CONTACTS, C.VIEW_PURCHASES}),
    Role.HR: frozenset({C.VIEW_DASHBOARD, C.VIEW_STAFF, C.VIEW_STAFF_PERSONAL, C.EXPORT, C.VIEW_FEEDBACK,
                        C.VIEW_STAFF_FEEDBACK, C.MANAGE_SURVEYS}),
    Role.FRANCHISE_PARTNER: frozenset(
        {C.VIEW_DASHBOARD, C.VIEW_CLIENTS, C.VIEW_CONTACTS, C.VIEW_PURCHASES, C.VIEW_STAFF, C.EXPORT, C.USE_API,
         C.VIEW_TEAM_TASKS, C.VIEW_FEEDBACK, C.VIEW_STAFF_FEEDBACK}
    ),
    Role.ANALYST: frozenset(
        {C.VIEW_DASHBOARD, C.VIEW_DISCOVERY, C.VIEW_CLIENTS, C.VIEW_PURCHASES, C.CREATE_PURCHASES, C.CREATE_CLIENTS,
         C.VIEW_PARTNERS, C.EXPORT, C.USE_API, C.REFRESH_STATUSES, C.VIEW_UPLIFT, C.VIEW_PLANNING, C.VIEW_FEEDBACK,
         C.VIEW_STAFF_FEEDBACK}
    ),
}


@dataclass(frozen=True)
class Scope:
    """What one user may see: the organisation, the role and the visible locations (None: all)."""

    organisation_id: int
    role: str
    location_ids: frozenset[int] | None
    capabilities: frozenset[Capability]

    @property
    def sees_all_locations(self) -> bool:
        return self.location_ids is None

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities


def scope_for(user) -> Scope:
    """The user's scope; PermissionDenied when the user has no role in any organisation."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("not signed in")
    cached = getattr(user, "_romashka_scope", None)
    if cached is not None:
        return cached
    membership = Membership.objects.filter(user=user).first()
    if membership is None:
        raise PermissionDenied("the user has no role in an organisation")
    role = membership.role
    if role in (Role.LOCATION_MANAGER, Role.EMPLOYEE):
        location_ids: frozenset[int] | None = frozenset({membership.location_id})
    elif role == Role.FRANCHISE_PARTNER:
        location_ids = frozenset(
            Location.objects.filter(organisation_id=membership.organisation_id, partner_id=membership.partner_id)
            .values_list("id", flat=True)
        )
    else:
        location_ids = None
    scope = Scope(
        organisation_id=membership.organisation_id,
        role=role,
        location_ids=location_ids,
        capabilities=ROLE_CAPABILITIES[role],
    )
    user._romashka_scope = scope
    return scope


def user_can(user, capability: Capability) -> bool:
    try:
        return scope_for(user).can(capability)
    except PermissionDenied:
        return False


def require(user, capability: Capability) -> Scope:
    """The scope when the role allows the capability; PermissionDenied (403) otherwise."""
    scope = scope_for(user)
    if not scope.can(capability):
        raise PermissionDenied(f"the role {scope.role} may not {capability.value}")
    return scope


def organisation_of(user) -> Organisation:
    return Organisation.objects.get(pk=scope_for(user).organisation_id)


def in_scope(queryset: QuerySet, scope: Scope, field: str) -> QuerySet:
    """Rows whose location `field` is within the scope (all rows when the scope is the whole network)."""
    if scope.location_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": scope.location_ids})


def locations_visible(user) -> QuerySet[Location]:
    scope = scope_for(user)
    return in_scope(Location.objects.filter(organisation_id=scope.organisation_id), scope, "id")


def clients_visible(user) -> QuerySet[Party]:
    """Guests the user may see: all of the organisation's, or those whose home location is in scope."""
    scope = require(user, C.VIEW_CLIENTS)
    guests = Party.objects.filter(organisation_id=scope.organisation_id, roles__kind=PartyKind.GUEST)
    return in_scope(guests, scope, "home_location_id")


def purchases_visible(user) -> QuerySet:
    from romashka.path.models import Purchase

    scope = require(user, C.VIEW_PURCHASES)
    return in_scope(Purchase.objects.filter(organisation_id=scope.organisation_id), scope, "location_id")


def staff_visible(user) -> QuerySet[Employee]:
    scope = require(user, C.VIEW_STAFF)
    return in_scope(Employee.objects.filter(party__organisation_id=scope.organisation_id), scope, "location_id")


def access_location(user, location_id: int) -> Location:
    """The location when the user may see it; 404 otherwise, so ids of others are not confirmed."""
    location = locations_visible(user).filter(pk=location_id).first()
    if location is None:
        raise Http404("location not found")
    return location


def access_client(user, party_id: int) -> Party:
    party = clients_visible(user).filter(pk=party_id).first()
    if party is None:
        raise Http404("client not found")
    return party


def partners_visible(user, *kinds: PartyKind) -> QuerySet[Party]:
    """Suppliers, investors, community and other non-guest parties of the given kinds."""
    scope = require(user, C.VIEW_PARTNERS)
    return Party.objects.filter(organisation_id=scope.organisation_id, roles__kind__in=kinds).distinct()


def location_filter_q(user, field: str = "location_id") -> Q:
    """A Q limiting any location-bearing rows to the user's scope."""
    scope = scope_for(user)
    if scope.location_ids is None:
        return Q()
    return Q(**{f"{field}__in": scope.location_ids})


def parties_visible(user, kind: str = PartyKind.GUEST) -> QuerySet[Party]:
    """Parties of one kind through that kind's rule: guests as clients, employees as staff, others as partners."""
    if kind == PartyKind.GUEST:
        return clients_visible(user)
    if kind == PartyKind.EMPLOYEE:
        return Party.objects.filter(pk__in=staff_visible(user).values("party_id"))
    return partners_visible(user, kind)


def access_party(user, party_id: int, kind: str = PartyKind.GUEST) -> Party:
    """The party when the user may see it as that kind; 404 otherwise, like access_client."""
    party = parties_visible(user, kind).filter(pk=party_id).first()
    if party is None:
        raise Http404("party not found")
    return party


def contacts_visible(user, kind: str = PartyKind.GUEST) -> bool:
    """Whether phones and e-mails of parties of that kind are shown in full rather than masked."""
    if kind == PartyKind.GUEST:
        return user_can(user, C.VIEW_CONTACTS)
    if kind == PartyKind.EMPLOYEE:
        return user_can(user, C.VIEW_STAFF_PERSONAL)
    return user_can(user, C.VIEW_PARTNERS)
