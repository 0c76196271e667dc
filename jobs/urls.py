from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.JobListView.as_view(), name="list"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="detail"),
    path("<int:pk>/unduh/", views.job_download, name="download"),
    path("hitung-ulang/", views.RecomputeView.as_view(), name="recompute"),
]
