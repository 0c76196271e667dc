import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kampungkb.bounds import parse_id
from kampungkb.text import SEARCH_MAX

from .models import KampungKB, Kecamatan, Kelurahan


class SiteFilter(django_filters.FilterSet):
    """Filters narrow the user's scoped queryset; they never widen it."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=SEARCH_MAX)
    kecamatan = django_filters.ModelChoiceFilter(
        field_name="kelurahan__kecamatan", queryset=Kecamatan.objects.all(), label=_("Kecamatan")
    )
    kelurahan = django_filters.ModelChoiceFilter(
        queryset=Kelurahan.objects.none(),
        label=_("Kelurahan"),
        empty_label=_("(choose a kecamatan first)"),
    )
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[("", _("All")), ("true", _("Active")), ("false", _("Inactive"))]
        ),
    )

    class Meta:
        model = KampungKB
        fields = ["q", "kecamatan", "kelurahan", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Kelurahan choices follow the chosen kecamatan: a national list would be 83,000
        # options long. The search box also matches kelurahan names.
        kecamatan = parse_id(self.data.get("kecamatan")) if self.data else None
        if kecamatan is not None:
            field = self.filters["kelurahan"]
            field.queryset = Kelurahan.objects.filter(kecamatan_id=kecamatan)
            field.extra["empty_label"] = _("All")

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(kelurahan__name__icontains=value))
