"""Admin for the organisation, its parties, locations, staff, users' roles and API tokens.

Parties run to tens of thousands: foreign keys to them are raw ids or autocompletes, never a select,
and the change lists skip the unfiltered total count.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from romashka.core.models import (
    ApiToken,
    Channel,
    Department,
    Employee,
    Location,
    LoginFailure,
    Membership,
    Organisation,
    Party,
    PartyRole,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "currency", "default_cycle_days", "created_at"]
    search_fields = ["name"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "ownership", "partner", "opened_on", "closed_on"]
    list_filter = ["city", "ownership", "organisation"]
    list_select_related = ["partner"]
    search_fields = ["code", "name", "city", "address"]
    autocomplete_fields = ["partner"]
    ordering = ["city", "code"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["code", "name"]


class PartyRoleInline(admin.TabularInline):
    model = PartyRole
    extra = 0


class ChannelInline(admin.TabularInline):
    model = Channel
    extra = 0
    fields = ["kind", "value", "normalized", "is_primary", "consent_at", "consent_source", "consent_withdrawn_at"]


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "kinds", "form", "home_location", "city", "created_at"]
    list_filter = ["roles__kind", "form", "home_location", "gender"]
    list_select_related = ["home_location"]
    # Exact match on the id: card numbers and phones are looked up whole, names by their parts.
    search_fields = ["name", "=external_id"]
    raw_id_fields = ["home_location"]
    readonly_fields = ["created_at"]
    inlines = [PartyRoleInline, ChannelInline]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        # One query for the kinds of the whole page instead of one per row.
        return super().get_queryset(request).prefetch_related(
            Prefetch("roles", queryset=PartyRole.objects.order_by("kind"))
        )

    @admin.display(description=_("kinds"))
    def kinds(self, party: Party) -> str:
        return ", ".join(str(role.get_kind_display()) for role in party.roles.all())


@admin.register(PartyRole)
class PartyRoleAdmin(admin.ModelAdmin):
    list_display = ["party", "kind", "since"]
    list_filter = ["kind"]
    list_select_related = ["party"]
    search_fields = ["party__name", "=party__external_id"]
    raw_id_fields = ["party"]
    show_full_result_count = False


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["party", "kind", "value", "is_primary", "consent_at", "consent_withdrawn_at"]
    list_filter = ["kind", "is_primary", ("consent_at", admin.EmptyFieldListFilter),
                   ("consent_withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["party"]
    search_fields = ["=normalized", "value"]
    raw_id_fields = ["party"]
    show_full_result_count = False


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["party", "position", "department", "location", "hired_on", "left_on", "user"]
    list_filter = ["department", "location", ("left_on", admin.EmptyFieldListFilter)]
    list_select_related = ["party", "department", "location", "user"]
    search_fields = ["party__name", "position", "user__username"]
    raw_id_fields = ["party", "user"]
    date_hierarchy = "hired_on"


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    raw_id_fields = ["partner"]
    fk_name = "user"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class RomashkaUserAdmin(UserAdmin):
    """Django's user admin with the user's role in the organisation alongside."""

    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "role", "is_active", "last_login"]
    list_filter = ["membership__role", "is_active", "is_staff"]
    list_select_related = ["membership"]

    @admin.display(description=_("role"), ordering="membership__role")
    def role(self, user) -> str:
        membership = getattr(user, "membership", None)
        return membership.get_role_display() if membership else "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation", "location", "partner"]
    list_filter = ["role", "organisation", "location"]
    list_select_related = ["user", "organisation", "location", "partner"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    raw_id_fields = ["user", "partner"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued on the settings page (shown once); here they can be seen and revoked."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "=prefix", "user__username"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Deleting a row lifts the lockout of that user name."""

    list_display = ["username", "failures", "first_failure_at", "locked_until"]
    search_fields = ["username"]
    readonly_fields = ["username", "failures", "first_failure_at"]

    def has_add_permission(self, request) -> bool:
        return False
