from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language
from django.views.static import serve

from villages.urls import public_urlpatterns as villages_public

from . import health, views

handler400 = views.bad_request

admin.site.site_header = "Portal Kampung KB"
admin.site.site_title = "Portal Kampung KB"
admin.site.index_title = "Administrasi"

urlpatterns = [
    path("", views.landing, name="landing"),
    # The load balancer's probe (no trailing slash: no redirect; exempt from the HTTPS one).
    path("healthz", health.healthz, name="healthz"),
    path(
        "masuk/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "akun/kata-sandi/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "akun/kata-sandi/selesai/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("dasbor/", views.dashboard, name="dashboard"),
    path("kampung/", include("villages.urls")),
    path("publik/kampung/", include((villages_public, "public"))),
    path("kegiatan/", include("activities.urls")),
    path("laporan/", include("reports.urls")),
    path("peta/", include("reports.map_urls")),
    path("usulan/", include("activities.usulan_urls")),
    path("tugas/", include("jobs.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view(packages=["activities", "reports"])),
        name="javascript-catalog",
    ),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Development only; in production the web server (or a protected view) serves media.
    urlpatterns += [
        path(
            "media/<path:path>",
            login_not_required(serve),
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
