"""Admin for the other petals: supplier orders, investments, payouts, community initiatives."""

from django.contrib import admin

from romashka.chamomile.models import (
    CommunityInitiative,
    FactsBuild,
    GuestStatusFact,
    Investment,
    LocationDayRevenue,
    Payout,
    PetalTarget,
    RoyaltyPayment,
    SupplierOrder,
)


@admin.register(SupplierOrder)
class SupplierOrderAdmin(admin.ModelAdmin):
    list_display = ["ordered_on", "supplier", "location", "amount", "reference"]
    list_filter = ["location", "organisation"]
    list_select_related = ["supplier", "location"]
    search_fields = ["reference", "supplier__name"]
    autocomplete_fields = ["supplier"]
    raw_id_fields = ["location"]
    date_hierarchy = "ordered_on"
    show_full_result_count = False


@admin.register(Investment)
class InvestmentAdmin(admin.ModelAdmin):
    list_display = ["invested_on", "investor", "amount", "note"]
    list_filter = ["organisation"]
    list_select_related = ["investor"]
    search_fields = ["investor__name", "note"]
    autocomplete_fields = ["investor"]
    date_hierarchy = "invested_on"


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["paid_on", "investor", "amount", "note"]
    list_filter = ["organisation"]
    list_select_related = ["investor"]
    search_fields = ["investor__name", "note"]
    autocomplete_fields = ["investor"]
    date_hierarchy = "paid_on"


@admin.register(CommunityInitiative)
class CommunityInitiativeAdmin(admin.ModelAdmin):
    list_display = ["held_on", "title", "kind", "location", "reach", "cost"]
    list_filter = ["kind", "location"]
    list_select_related = ["location"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["partners"]
    date_hierarchy = "held_on"


@admin.register(PetalTarget)
class PetalTargetAdmin(admin.ModelAdmin):
    list_display = ["figure", "month", "value", "set_by", "updated_at", "organisation"]
    list_filter = ["figure", "organisation"]
    list_select_related = ["set_by", "organisation"]
    readonly_fields = ["updated_at"]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Derived rows, rebuilt after every status refresh: shown for checking, never edited by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FactsBuild)
class FactsBuildAdmin(_ReadOnlyAdmin):
    """When each organisation's chamomile facts were last rebuilt (after a status refresh)."""

    list_display = ["organisation", "refreshed_on", "built_at", "seconds", "event_watermark", "purchase_watermark"]
    readonly_fields = list_display


@admin.register(GuestStatusFact)
class GuestStatusFactAdmin(_ReadOnlyAdmin):
    """Guests by home location and status at each month end: what the chamomile page reads."""

    list_display = ["day", "location", "status", "clients", "organisation"]
    list_filter = ["organisation", "status"]
    list_select_related = ["location", "organisation"]
    date_hierarchy = "day"


@admin.register(LocationDayRevenue)
class LocationDayRevenueAdmin(_ReadOnlyAdmin):
    """Purchases summed per location and day: what the chamomile's revenue figures read."""

    list_display = ["day", "location", "revenue", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["location", "organisation"]
    date_hierarchy = "day"


@admin.register(RoyaltyPayment)
class RoyaltyPaymentAdmin(admin.ModelAdmin):
    list_display = ["month", "partner", "amount", "due_on", "paid_on"]
    list_filter = ["partner"]
    list_select_related = ["partner"]
    date_hierarchy = "due_on"
    autocomplete_fields = ["partner"]
