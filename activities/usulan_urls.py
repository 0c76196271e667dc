"""URLs of usulan (proposals both ways), the in-portal inbox and spreadsheet imports."""

from django.urls import path  # noqa: F401

app_name = "coordination"

urlpatterns: list = []
