import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Activity
from .templatetags.activity_badges import status_badge


class ActivityTable(tables.Table):
    """The Dinas's desktop list; the rows come from the scoped, filtered queryset."""

    date = tables.DateColumn(short=True, verbose_name=_("Date"))
    title = tables.Column(linkify=True, verbose_name=_("Activity"))
    site = tables.Column(verbose_name=_("Site"), order_by=("site__name",))
    kecamatan = tables.Column(
        accessor="site__kelurahan__kecamatan__name",
        verbose_name=_("Kecamatan"),
        order_by=("site__kelurahan__kecamatan__name",),
    )
    category = tables.Column(verbose_name=_("Family function"))
    participants = tables.Column(
        accessor="participants_total",
        verbose_name=_("Participants"),
        orderable=False,
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    photo_count = tables.Column(
        verbose_name=_("Photos"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Activity
        fields = [
            "date",
            "title",
            "site",
            "kecamatan",
            "category",
            "participants",
            "photo_count",
            "status",
        ]
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by = ("-date",)
        empty_text = _("No activities match these filters.")

    def render_status(self, record):
        badge = status_badge(record)
        if record.has_duplicate_photo:
            badge = format_html(
                '{} <span class="badge text-bg-danger">{}</span>',
                badge,
                gettext("Duplicate photo"),
            )
        return badge
