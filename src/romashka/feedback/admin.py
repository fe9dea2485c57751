"""The surveys in the admin: journey stages and who serves whom are set up here; answers are read-only."""

from django.contrib import admin

from romashka.feedback.models import InternalService, JourneyStage, Survey, Wave


@admin.register(JourneyStage)
class JourneyStageAdmin(admin.ModelAdmin):
    list_display = ("name_ru", "name_en", "code", "position", "is_active", "organisation")
    list_editable = ("position", "is_active")
    list_filter = ("organisation", "is_active")


@admin.register(InternalService)
class InternalServiceAdmin(admin.ModelAdmin):
    list_display = ("provider", "customer", "organisation")
    list_filter = ("organisation", "provider")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "link_days", "organisation")
    list_filter = ("organisation", "kind")


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ("survey", "location", "department", "scheduled_on", "expires_on", "links", "sent_at")
    list_filter = ("survey__kind", "location")
    readonly_fields = ("links", "sent_at", "created_by")
