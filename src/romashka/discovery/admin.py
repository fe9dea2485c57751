from django.contrib import admin

from romashka.discovery.models import (
    ClientCategory,
    CommitteeMember,
    CompanyProfile,
    Interview,
    Job,
    NotOurClient,
    Product,
    ProductJob,
    RfmBounds,
    Segment,
    SegmentCondition,
)


class SegmentConditionInline(admin.TabularInline):
    model = SegmentCondition
    extra = 0
    max_num = 3


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "created_at"]
    list_filter = ["organisation"]
    search_fields = ["name"]
    inlines = [SegmentConditionInline]


@admin.register(NotOurClient)
class NotOurClientAdmin(admin.ModelAdmin):
    list_display = ["party", "segment", "reason", "marked_at", "marked_by"]
    list_filter = ["reason", "organisation"]
    raw_id_fields = ["party"]


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    list_display = ["party", "industry", "size", "employees"]
    list_filter = ["industry", "size"]
    raw_id_fields = ["party"]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(admin.ModelAdmin):
    list_display = ["company", "person", "role", "position"]
    list_filter = ["role"]
    raw_id_fields = ["company", "person"]


class ProductJobInline(admin.TabularInline):
    model = ProductJob
    extra = 1


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "purchase_category", "organisation"]
    inlines = [ProductJobInline]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    search_fields = ["name"]


@admin.register(ClientCategory)
class ClientCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "segment", "organisation"]


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["party", "interviewed_on", "job", "pays_more", "pays_more_amount", "interviewer"]
    list_filter = ["job", "pays_more"]
    raw_id_fields = ["party"]
    date_hierarchy = "interviewed_on"


@admin.register(RfmBounds)
class RfmBoundsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "recency_days", "frequency", "monetary"]
