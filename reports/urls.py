from django.urls import path, register_converter

from . import opd_matrix, views


class ExportFormat:
    regex = "xlsx|csv"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ExportFormat, "fmt")

app_name = "reports"

urlpatterns = [
    path("klasifikasi/", views.ClassificationView.as_view(), name="classification"),
    path(
        "klasifikasi/unduh.<fmt:fmt>",
        views.ClassificationExportView.as_view(),
        name="classification-export",
    ),
    path("perbandingan/", views.ComparisonView.as_view(), name="comparison"),
    path("perbandingan/cetak/", views.ComparisonPrintView.as_view(), name="comparison-print"),
    path(
        "perbandingan/unduh.<fmt:fmt>",
        views.ComparisonExportView.as_view(),
        name="comparison-export",
    ),
    path("keberlanjutan/", views.SustainabilityListView.as_view(), name="sustainability"),
    path(
        "keberlanjutan/<id:site_pk>/",
        views.SiteTimelineView.as_view(),
        name="site-timeline",
    ),
    path(
        "kampung/<id:site_pk>/laporan-bulanan/",
        views.MonthlyReportView.as_view(),
        name="monthly-report",
    ),
    path("kegiatan/", views.ActivityReportView.as_view(), name="activities"),
    path("kegiatan/unduh.<fmt:fmt>", views.ActivityExportView.as_view(), name="activities-export"),
    path("kampung/unduh.<fmt:fmt>", views.SiteRegistryExportView.as_view(), name="sites-export"),
    path("matriks-opd/", opd_matrix.opd_matrix, name="opd-matrix"),
]
