"""URLs of usulan (proposals both ways), the in-portal inbox and spreadsheet imports."""

from django.urls import path

from . import import_views, usulan_views

app_name = "coordination"

urlpatterns = [
    path("", usulan_views.UsulanListView.as_view(), name="usulan-list"),
    path("baru/", usulan_views.UsulanCreateView.as_view(), name="usulan-create"),
    path("tawarkan/", usulan_views.UsulanOfferView.as_view(), name="usulan-offer"),
    path("<id:pk>/", usulan_views.UsulanDetailView.as_view(), name="usulan-detail"),
    path("kotak-masuk/", usulan_views.InboxView.as_view(), name="inbox"),
    path("kotak-masuk/<id:pk>/", usulan_views.open_notification, name="inbox-open"),
    path("kotak-masuk/baca-semua/", usulan_views.mark_all_read, name="inbox-read-all"),
    path("impor/", import_views.ImportView.as_view(), name="import"),
    path("impor/templat/<str:kind>/", import_views.import_template, name="import-template"),
    path("impor/<id:pk>/", import_views.ImportDetailView.as_view(), name="import-detail"),
    path("impor/<id:pk>/simpan/", import_views.import_commit, name="import-commit"),
    path("impor/<id:pk>/batal/", import_views.import_cancel, name="import-cancel"),
]
