import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import DateInput
from kampungkb.text import SEARCH_MAX
from villages.models import KampungKB, Kecamatan

from .models import OPD, Activity, FamilyFunction, Poktan


class ActivityFilter(django_filters.FilterSet):
    """Filters narrow the user's scoped queryset (``Activity.objects.visible_to``); the
    site choices themselves are only the sites the user may see."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=SEARCH_MAX)
    site = django_filters.ModelChoiceFilter(queryset=KampungKB.objects.none(), label=_("Site"))
    kecamatan = django_filters.ModelChoiceFilter(
        field_name="site__kelurahan__kecamatan",
        queryset=Kecamatan.objects.order_by("code"),
        label=_("Kecamatan"),
    )
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Until"), widget=DateInput()
    )
    category = django_filters.ChoiceFilter(
        choices=FamilyFunction.choices, label=_("Family function"), empty_label=_("All")
    )
    poktan = django_filters.ChoiceFilter(
        choices=Poktan.choices, label=_("Poktan"), empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        choices=Activity.Status.choices, label=_("Status"), empty_label=_("All")
    )
    agency = django_filters.ModelChoiceFilter(
        field_name="agencies",
        queryset=OPD.objects.order_by("name"),
        label=_("Agency / partner"),
        distinct=True,
    )

    class Meta:
        model = Activity
        fields = [
            "q",
            "site",
            "kecamatan",
            "date_from",
            "date_to",
            "category",
            "poktan",
            "status",
            "agency",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["site"].queryset = (
            KampungKB.objects.visible_to(user).select_related("kelurahan").order_by("name")
        )

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(place__icontains=value))
