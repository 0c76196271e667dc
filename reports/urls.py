from django.urls import path

from . import opd_matrix

app_name = "reports"

urlpatterns: list = [
    path("matriks-opd/", opd_matrix.opd_matrix, name="opd-matrix"),
]
