"""Admin for purchases and their import batches, kept fast on millions of purchases."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Party
from romashka.path.models import (
    CycleOverride,
    ImportBatch,
    Purchase,
    StatusEvent,
    StatusRefresh,
    StatusSnapshot,
    TargetProfile,
)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["source", "filename", "created_at", "rows_accepted", "rows_rejected", "organisation"]
    list_filter = ["source", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["source", "filename"]
    readonly_fields = ["created_at"]


class RefundFilter(admin.SimpleListFilter):
    title = _("refund")
    parameter_name = "refund"

    def lookups(self, request, model_admin):
        return [("yes", _("refunds")), ("no", _("sales"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(amount__lt=0)
        if self.value() == "no":
            return queryset.filter(amount__gte=0)
        return queryset


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    """Every query of the change list walks an index: no DISTINCT, no sort and no count over all purchases.

    The date drill-down is the template tag `bounded_date_hierarchy` (templates/admin/path/purchase/).
    """

    list_display = ["receipt_ref", "purchased_on", "occurred_at", "party", "location", "amount", "category", "source"]
    # Only filters whose choices come from small tables or constants: a DISTINCT over purchases would scan them all.
    list_filter = ["location", RefundFilter]
    list_select_related = ["party", "location"]
    # A receipt number or a guest's card number or phone, exactly as printed (see get_search_results).
    search_fields = ["=receipt_ref"]
    search_help_text = _("A receipt number, or a guest's card number or phone exactly as recorded.")
    raw_id_fields = ["party", "location", "batch"]
    date_hierarchy = "purchased_on"
    show_full_result_count = False
    list_per_page = 50

    def get_ordering(self, request):
        # The newest first, in the order of the index the filter uses, so the page is read, not sorted.
        if request.GET.get("location__id__exact"):
            return ["-location_id", "-purchased_on", "-id"]
        return ["-organisation_id", "-purchased_on", "-id"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        # The guest first (an indexed lookup), then its purchases by party id: no join over every purchase.
        party_ids = list(Party.objects.filter(external_id=term).values_list("pk", flat=True)[:100])
        return queryset.filter(receipt_ref=term) | queryset.filter(party_id__in=party_ids), False


class _WrittenByRefresh:
    """Snapshots and events are computed by `romashka refresh`; by hand they would only disagree with the data."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatusSnapshot)
class StatusSnapshotAdmin(_WrittenByRefresh, admin.ModelAdmin):
    list_display = ["party", "status", "won_back", "status_since", "purchase_days", "recency_days", "monetary", "as_of"]
    list_filter = ["status", "won_back"]
    list_select_related = ["party"]
    raw_id_fields = ["party"]
    show_full_result_count = False
    ordering = ["-pk"]


@admin.register(StatusEvent)
class StatusEventAdmin(_WrittenByRefresh, admin.ModelAdmin):
    list_display = ["party", "changed_on", "from_status", "to_status", "won_back"]
    list_filter = ["to_status", "won_back"]
    list_select_related = ["party"]
    raw_id_fields = ["party"]
    show_full_result_count = False
    ordering = ["-pk"]


@admin.register(StatusRefresh)
class StatusRefreshAdmin(_WrittenByRefresh, admin.ModelAdmin):
    list_display = ["organisation", "as_of", "finished_at", "seconds", "data_version"]
    list_filter = ["as_of"]
    ordering = ["-finished_at"]


@admin.register(CycleOverride)
class CycleOverrideAdmin(admin.ModelAdmin):
    list_display = ["__str__", "segment", "location", "category", "cycle_days", "lost_after_days",
                    "fan_min_purchases", "overdue_factor", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["segment", "location", "organisation"]


@admin.register(TargetProfile)
class TargetProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "form", "cities", "gender", "age_min", "age_max", "acquisition_channels", "is_active"]
    list_filter = ["is_active", "form", "organisation"]
    search_fields = ["name", "cities", "acquisition_channels"]
