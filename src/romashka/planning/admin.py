from django.contrib import admin

from romashka.planning.models import ClvFit, ClvPrediction, RevenueTarget


@admin.register(ClvFit)
class ClvFitAdmin(admin.ModelAdmin):
    list_display = ["model", "as_of", "fitted_at", "customers", "log_likelihood", "converged", "organisation"]
    list_filter = ["model", "organisation"]
    readonly_fields = ["fitted_at"]


@admin.register(ClvPrediction)
class ClvPredictionAdmin(admin.ModelAdmin):
    list_display = ["party", "as_of", "p_alive", "expected_purchases", "expected_spend", "clv"]
    list_select_related = ["party"]
    raw_id_fields = ["party"]
    search_fields = ["party__name", "party__external_id"]


@admin.register(RevenueTarget)
class RevenueTargetAdmin(admin.ModelAdmin):
    list_display = ["month", "location", "amount", "organisation"]
    list_filter = ["organisation", "location"]
