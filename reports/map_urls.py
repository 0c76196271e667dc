from django.urls import path

from . import maps

app_name = "maps"

urlpatterns = [
    path("batas.geojson", maps.boundaries, name="boundaries"),
    path("nilai.json", maps.values_view, name="values"),
    path("publik.json", maps.public_values, name="public-values"),
]
