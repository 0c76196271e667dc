from django.urls import path

from . import views

app_name = "villages"

urlpatterns = [
    path("", views.SiteListView.as_view(), name="site-list"),
    path("baru/", views.SiteCreateView.as_view(), name="site-create"),
    path("<id:pk>/", views.SiteDetailView.as_view(), name="site-detail"),
    path("<id:pk>/ubah/", views.SiteUpdateView.as_view(), name="site-update"),
    path(
        "<id:site_pk>/profil/baru/",
        views.ProfileSnapshotCreateView.as_view(),
        name="profile-create",
    ),
    path(
        "<id:site_pk>/kependudukan/baru/",
        views.PopulationSnapshotCreateView.as_view(),
        name="population-create",
    ),
    path(
        "<id:site_pk>/kkbpk/baru/",
        views.KKBPKSnapshotCreateView.as_view(),
        name="kkbpk-create",
    ),
]

# Public pages (no login) live under /publik/ (see kampungkb.urls).
public_urlpatterns = [
    path("<id:pk>/", views.PublicSiteDetailView.as_view(), name="site-detail"),
]
