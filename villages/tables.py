import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import KampungKB


class SiteTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name=_("Kampung KB"))
    kelurahan = tables.Column(verbose_name=_("Kelurahan"), order_by="kelurahan__name")
    kecamatan = tables.Column(
        accessor="kelurahan__kecamatan__name",
        verbose_name=_("Kecamatan"),
        order_by="kelurahan__kecamatan__name",
    )
    declared_on = tables.DateColumn(short=True, verbose_name=_("Declared"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = KampungKB
        fields = ["name", "kelurahan", "kecamatan", "declared_on", "is_active", "is_model_site"]
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by = ("kelurahan__kecamatan__name", "name")
