"""The touch system in the administration: standards with their versions, entries, tasks and messages (read mostly)."""

from django.contrib import admin

from romashka.touches.models import DailyRun, Entry, Message, Standard, StandardVersion, Step, Task


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["position", "channel", "title", "delay_days", "delay_basis", "executor_rule", "executor_position",
              "aims_at_purchase"]


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["pk", "trigger", "organisation", "created_at"]
    list_filter = ["trigger"]


@admin.register(StandardVersion)
class StandardVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "standard", "number", "is_active", "control_share", "conversion_days", "valid_from"]
    list_filter = ["standard__trigger", "is_active"]
    inlines = [StepInline]
    raw_id_fields = ["responsible", "created_by"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["party", "standard", "entered_on", "status", "group"]
    list_filter = ["group", "standard__trigger"]
    date_hierarchy = "entered_on"
    raw_id_fields = ["party", "location", "version", "standard"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["party", "step", "channel", "executor", "due_on", "state", "outcome", "cancel_reason"]
    list_filter = ["state", "channel", "outcome", "cancel_reason"]
    date_hierarchy = "due_on"
    raw_id_fields = ["party", "entry", "step", "location", "executor", "responsible", "done_by"]
    list_select_related = ["party", "step", "executor__party"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["party", "channel", "address", "state", "reason", "sender", "created_at"]
    list_filter = ["state", "channel"]
    raw_id_fields = ["party", "task"]


@admin.register(DailyRun)
class DailyRunAdmin(admin.ModelAdmin):
    list_display = ["organisation", "day", "started_at", "finished_at"]
