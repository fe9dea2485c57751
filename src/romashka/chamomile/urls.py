from django.urls import path

from romashka.chamomile import views

urlpatterns = [
    path("", views.overview, name="chamomile"),
    path("summary/", views.summary, name="chamomile_summary"),
    path("targets/", views.targets, name="chamomile_targets"),
    path("export.<str:fmt>", views.export, name="chamomile_export"),
    path("partner/", views.partner_cabinet, name="chamomile_partner"),
    path("partner/<int:partner_id>/", views.partner_cabinet, name="chamomile_partner_of"),
    path("suppliers/<int:supplier_id>/", views.supplier_report, name="chamomile_supplier"),
    path("suppliers/<int:supplier_id>/report.xlsx", views.supplier_report_xlsx, name="chamomile_supplier_xlsx"),
    path("suppliers/<int:supplier_id>/report/", views.supplier_report_print, name="chamomile_supplier_print"),
    path("suppliers/<int:supplier_id>/report.pdf", views.supplier_report_pdf, name="chamomile_supplier_pdf"),
    path("community/initiatives/new/", views.initiative_edit, name="chamomile_initiative_new"),
    path("community/initiatives/<int:initiative_id>/", views.initiative_edit, name="chamomile_initiative"),
    path("community/initiatives/<int:initiative_id>/delete/", views.initiative_remove, name="chamomile_initiative_delete"),
    path("community/initiatives/<int:initiative_id>/photo", views.initiative_photo, name="chamomile_initiative_photo"),
    path("<str:petal>/", views.petal_page, name="chamomile_petal"),
    path("<str:petal>/export.<str:fmt>", views.petal_export, name="chamomile_petal_export"),
]
