from django.contrib import admin

from romashka.imports.models import ImportJob, SavedMapping


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "kind", "source", "state", "created_by", "created_at", "finished_at")
    list_filter = ("state", "kind", "source")
    search_fields = ("filename", "source")
    readonly_fields = ("result", "error", "batch", "stored_path", "rejected_path", "created_at", "started_at",
                       "finished_at")
    list_select_related = ("created_by",)


@admin.register(SavedMapping)
class SavedMappingAdmin(admin.ModelAdmin):
    list_display = ("source", "kind", "updated_at")
    list_filter = ("kind",)
