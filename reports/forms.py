"""GET forms of the report pages. They only narrow what ``visible_to(user)`` returns;
every choice list is built from the user's scope (regions are public master data)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.models import OPD, Activity, FamilyFunction, Poktan
from kampungkb.bounds import parse_id
from kampungkb.forms import FAST_RENDERER, DateInput, LongSelect
from villages.models import KampungKB, Kecamatan, Kota

from .columns import CLASSIFICATION_COLUMNS
from .periods import MonthError, parse_month
from .quality import QualityClass
from .sustainability import add_months

MIN_SITES, MAX_SITES = 2, 6
MIN_KECAMATAN, MAX_KECAMATAN = 2, 7
SITE_SELECT_LIMIT = 300  # above this many sites, the chooser is a search instead of a list


class FilterChoiceField(forms.ModelChoiceField):
    """An optional filter of a report page: its empty choice reads "All" ("Semua"), not
    Django's "---------"."""

    widget = LongSelect  # a national kota list has ~500 options

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(queryset, **kwargs)


class MonthInput(forms.TextInput):
    input_type = "month"  # a native month picker; submits YYYY-MM


class MonthField(forms.CharField):
    widget = MonthInput

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return parse_month(value)
        except MonthError as exc:
            raise ValidationError(str(exc)) from None


def asks_for_hidden_area(form) -> bool:
    """Whether the form was refused because it names a region or site the user cannot
    see (an export then answers 404, as for any object outside the user's scope)."""
    return bool(getattr(form, "out_of_scope", False))


class BootstrapMixin:
    """Bootstrap classes on the widgets, so ``{{ field.as_field_group }}`` renders a
    styled field without crispy-forms (a report page is rendered on every filter
    change; crispy costs several ms per field). Rendered by Jinja2 (the same HTML): a
    national kota list is ~500 options, 2.5x faster than through Django templates."""

    default_renderer = FAST_RENDERER

    def style_fields(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.RadioSelect):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class AreaMixin:
    """A kota → kecamatan pair of filters. Kecamatan choices follow the chosen kota (a
    national list would be 7,000 options long); with a single city they are listed
    at once."""

    AREA_FIELDS = ("kota", "kecamatan", "situs")

    @property
    def out_of_scope(self):
        # Their choices are the areas/sites the user can see: any error there means
        # "not yours" (or not existing — the same answer, so nothing leaks).
        return any(f in self.errors for f in self.AREA_FIELDS)

    def setup_area(self):
        # Regions are public master data, but choosing an area where the user sees no
        # site is refused (clean_kota/clean_kecamatan; the exports then answer 404), not
        # answered with an empty list. Listing only such areas would cost a scan of
        # every visible site on each page view.
        kota_qs = Kota.objects.visible_to(self.user)
        kotas = list(kota_qs.only("pk", "name"))  # ~500 at national scale
        preload_choices(self.fields["kota"], kota_qs, kotas)
        kota = self.data.get("kota") if self.is_bound else None
        kecamatan = Kecamatan.objects.visible_to(self.user).order_by("code")
        if parse_id(kota) is not None:
            kecamatan = kecamatan.filter(kota_id=kota)
        elif len(kotas) == 1:
            kecamatan = kecamatan.filter(kota_id=kotas[0].pk)
        else:
            # Several cities and none chosen: no kecamatan yet. ``kota=None`` matches none
            # (every kecamatan has a kota), in the same one query as the single-city list,
            # so the page's query count does not depend on how many cities there are.
            kecamatan = kecamatan.filter(kota=None)
            self.fields["kecamatan"].empty_label = _("(choose a kota first)")
        preload_choices(self.fields["kecamatan"], kecamatan, list(kecamatan.only("pk", "name")))


def preload_choices(field, queryset, objects):
    """A ModelChoiceField whose options come from ``objects``, already fetched, instead of
    a second query (a server-side cursor on PostgreSQL) when the page renders;
    ``queryset`` still validates the submitted choice."""
    field.queryset = queryset
    field.widget.choices = [("", field.empty_label)] + [
        (obj.pk, field.label_from_instance(obj)) for obj in objects
    ]


class AreaVisibilityMixin:
    def clean_kota(self):
        return self._visible_area("kota", "kelurahan__kecamatan__kota")

    def clean_kecamatan(self):
        return self._visible_area("kecamatan", "kelurahan__kecamatan")

    def _visible_area(self, name, lookup):
        area = self.cleaned_data.get(name)
        if area and not KampungKB.objects.visible_to(self.user).filter(**{lookup: area}).exists():
            raise ValidationError(
                _("%(area)s has no Kampung KB you may see.") % {"area": area.name}
            )
        return area


class ClassificationFilterForm(AreaVisibilityMixin, BootstrapMixin, AreaMixin, forms.Form):
    bulan = MonthField(label=_("Month"), required=False)
    kota = FilterChoiceField(Kota.objects.none(), label=_("Kota/kabupaten"))
    kecamatan = FilterChoiceField(Kecamatan.objects.none(), label=_("Kecamatan"))
    kelas = forms.TypedChoiceField(
        label=_("Class"),
        choices=[("", _("All"))] + list(QualityClass.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    cari = forms.CharField(label=_("Search"), required=False, max_length=100)
    memudar = forms.BooleanField(label=_("Fading sites only"), required=False)
    urut = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.setup_area()
        sortable = [c for c in CLASSIFICATION_COLUMNS if c.sort]
        self.style_fields()
        self.fields["urut"].choices = [("", _("Kecamatan"))] + [
            (key, label)
            for c in sortable
            for key, label in (
                (c.key, c.header),
                (f"-{c.key}", _("%(col)s (descending)") % {"col": c.header}),
            )
        ]

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("kota"):
            qs = qs.filter(kecamatan__kota=data["kota"])
        if data.get("kecamatan"):
            qs = qs.filter(kecamatan=data["kecamatan"])
        if data.get("kelas"):
            qs = qs.filter(quality_class=data["kelas"])
        if data.get("cari"):
            qs = qs.filter(site__name__icontains=data["cari"])
        if data.get("memudar"):
            qs = qs.filter(is_fading=True)
        return qs.order_by(*self.ordering())

    # The fields that choose the month or the order, and the filters the month's summary
    # can count (reports.summary.count_rows). Any other filter that is set (one added later
    # too) means the rows are counted.
    SUMMARY_FIELDS = ("bulan", "urut", "kota", "kelas", "memudar")

    def summary_filters(self) -> dict | None:
        """``count_rows`` arguments for the number of rows ``filter()`` keeps, or ``None``
        when a filter the summary cannot answer is set."""
        data = self.cleaned_data
        if any(value for name, value in data.items() if name not in self.SUMMARY_FIELDS):
            return None
        return {
            "kota": data.get("kota"),
            "quality_class": data.get("kelas"),
            "fading": bool(data.get("memudar")),
        }

    def ordering(self):
        key = (self.cleaned_data.get("urut") or "") if hasattr(self, "cleaned_data") else ""
        columns = {c.key: c.sort for c in CLASSIFICATION_COLUMNS if c.sort}
        field = columns.get(key.lstrip("-"))
        if not field:
            # The index order of a month's rows (period, kecamatan, site): the first page
            # needs no sort of the whole month.
            return ["kecamatan_id", "site_id"]
        return [f"-{field}" if key.startswith("-") else field, "site__name", "site_id"]


class ActivityReportFilterForm(AreaVisibilityMixin, BootstrapMixin, AreaMixin, forms.Form):
    kota = FilterChoiceField(Kota.objects.none(), label=_("Kota/kabupaten"))
    kecamatan = FilterChoiceField(Kecamatan.objects.none(), label=_("Kecamatan"))
    situs = FilterChoiceField(KampungKB.objects.none(), label=_("Kampung KB"))
    dari = forms.DateField(label=_("From"), required=False, widget=DateInput)
    sampai = forms.DateField(label=_("Until"), required=False, widget=DateInput)
    kategori = forms.ChoiceField(
        label=_("Family function"),
        choices=[("", _("All"))] + list(FamilyFunction.choices),
        required=False,
    )
    poktan = forms.ChoiceField(
        label=_("Poktan"), choices=[("", _("All"))] + list(Poktan.choices), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All"))] + list(Activity.Status.choices), required=False
    )
    opd = FilterChoiceField(OPD.objects.none(), label=_("Agency / partner"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.setup_area()
        agencies = OPD.objects.visible_to(user).order_by("name")
        preload_choices(self.fields["opd"], agencies, list(agencies))
        kecamatan = self.data.get("kecamatan") if self.is_bound else None
        sites = KampungKB.objects.visible_to(user).order_by("name")
        if parse_id(kecamatan) is not None:
            sites = sites.filter(kelurahan__kecamatan_id=kecamatan)
            preload_choices(self.fields["situs"], sites, list(sites))
        else:
            # One query either way (the page's query count must not depend on how many
            # sites there are): any LIMIT + 1 rows tell a short list from a long one.
            # Unordered, so the database stops there instead of sorting every site.
            first = list(sites.order_by()[: SITE_SELECT_LIMIT + 1])
            field = self.fields["situs"]
            if len(first) > SITE_SELECT_LIMIT:
                field.queryset = sites.none()
                field.empty_label = _("(choose a kecamatan first)")
            else:
                first.sort(key=lambda site: (site.name.casefold(), site.pk))
                preload_choices(field, sites, first)
        self.style_fields()

    def clean(self):
        data = super().clean()
        if data.get("dari") and data.get("sampai") and data["dari"] > data["sampai"]:
            raise ValidationError(_("The start date is after the end date. Swap the two dates."))
        return data

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("kota"):
            qs = qs.filter(site__kelurahan__kecamatan__kota=data["kota"])
        if data.get("kecamatan"):
            qs = qs.filter(site__kelurahan__kecamatan=data["kecamatan"])
        if data.get("situs"):
            qs = qs.filter(site=data["situs"])
        if data.get("dari"):
            qs = qs.filter(date__gte=data["dari"])
        if data.get("sampai"):
            qs = qs.filter(date__lte=data["sampai"])
        for name, field in (("kategori", "category"), ("poktan", "poktan"), ("status", "status")):
            if data.get(name):
                qs = qs.filter(**{field: data[name]})
        if data.get("opd"):
            qs = qs.filter(agencies=data["opd"])
        return qs.order_by("-date", "-pk")


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------
class IdListField(forms.MultipleChoiceField):
    """A list of ids whose choices the form checks itself (with its own message)."""

    def validate(self, value):
        pass


class ComparisonForm(BootstrapMixin, forms.Form):
    """Which sites (2–6) or kecamatan (2–7) to compare, over which months. Ids that are
    unknown and ids outside the user's scope get the same message (nothing leaks)."""

    MODE_SITES, MODE_KECAMATAN = "kampung", "kecamatan"

    mode = forms.ChoiceField(
        label=_("Compare"),
        choices=[(MODE_SITES, _("Kampung KB sites")), (MODE_KECAMATAN, _("Kecamatan"))],
        required=False,
        initial=MODE_SITES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    kampung = IdListField(label=_("Kampung KB (2–6)"), required=False)
    kecamatan = IdListField(label=_("Kecamatan (2–7)"), required=False)
    cari = forms.CharField(label=_("Find a Kampung KB"), required=False, max_length=100)
    dari = MonthField(label=_("From month"), required=False)
    sampai = MonthField(label=_("To month"), required=False)

    def __init__(self, *args, user, default_end=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.default_end = default_end
        visible = KampungKB.objects.visible_to(user).active()
        raw_sites = self.data.getlist("kampung") if self.is_bound else []
        wanted = [n for n in map(parse_id, raw_sites) if n is not None][: MAX_SITES * 10]
        # The same two queries for a short scope and a long one (the page's query count must
        # not depend on the data size), each cheap at any size: the ids of any LIMIT + 1
        # sites (unordered, so the database stops there) tell a short list from a long one;
        # then come, with their kelurahan and kecamatan, every site of a short scope or
        # only the chosen ones of a long scope (not 301 sites to throw away).
        related = visible.select_related("kelurahan__kecamatan").order_by()
        ids = list(visible.order_by().values_list("pk", flat=True)[: SITE_SELECT_LIMIT + 1])
        self.searching = len(ids) > SITE_SELECT_LIMIT
        rows = list(related.filter(pk__in=wanted if self.searching else ids))
        if self.searching:
            # Large scope: list the chosen sites plus the search matches, not every site.
            choices = rows
            term = (self.data.get("cari") or "").strip() if self.is_bound else ""
            if term:
                choices += list(
                    visible.filter(name__icontains=term)
                    .exclude(pk__in=wanted)
                    .select_related("kelurahan__kecamatan")
                    .order_by("name")[:30]
                )
        else:
            # Short scope: every site, in area order.
            choices = sorted(rows, key=lambda s: (s.kelurahan.kecamatan.code, s.name))
        wanted_kecamatan = [
            v
            for v in (self.data.getlist("kecamatan") if self.is_bound else [])
            if parse_id(v) is not None
        ][: MAX_KECAMATAN * 10]
        comparing_kecamatan = self.is_bound and (
            self.data.get("mode") == self.MODE_KECAMATAN or wanted_kecamatan
        )
        if not self.searching:
            # The kecamatan that have a visible site: read off the short scope's sites.
            kecamatan = {s.kelurahan.kecamatan for s in rows}
        elif comparing_kecamatan:
            # A long scope lists only the chosen kecamatan, in one query (a search box is
            # not needed for a few hundred kecamatan).
            kecamatan = Kecamatan.objects.filter(
                Exists(visible.filter(kelurahan__kecamatan_id=OuterRef("pk"))),
                pk__in=wanted_kecamatan,
            )
        else:
            kecamatan = []
        self.site_objects = {str(s.pk): s for s in choices}
        self.fields["kampung"].choices = [
            (str(s.pk), f"{s.name} ({s.kelurahan.kecamatan.name})") for s in choices
        ]
        self.kecamatan_objects = {str(k.pk): k for k in sorted(kecamatan, key=lambda k: k.code)}
        self.fields["kecamatan"].choices = [
            (pk, k.name) for pk, k in self.kecamatan_objects.items()
        ]

    # Django's MultipleChoiceField says "Select a valid choice. 3 is not one of the
    # available choices." — ours names the problem without telling whether the id exists.
    def clean_kampung(self):
        return self._clean_ids("kampung", self.site_objects, _gettext("Kampung KB"))

    def clean_kecamatan(self):
        return self._clean_ids("kecamatan", self.kecamatan_objects, _gettext("Kecamatan"))

    out_of_scope = False

    def _clean_ids(self, name, known, label):
        raw = self.data.getlist(name) if self.is_bound else []
        if len(raw) > MAX_SITES * 10:
            raise ValidationError(
                _("Compare at most 6 Kampung KB or 7 kecamatan at a time (you chose %(n)d).")
                % {"n": len(raw)}
            )
        bad = [v for v in raw if str(v) not in known]
        if bad:
            self.out_of_scope = True
            raise ValidationError(
                ngettext(
                    "%(label)s number %(ids)s was not found or is outside your area.",
                    "%(label)s numbers %(ids)s were not found or are outside your area.",
                    len(bad),
                )
                % {"label": label, "ids": ", ".join(str(v)[:12] for v in bad[:5])}
            )
        seen = []
        for v in raw:
            if v not in seen:
                seen.append(v)
        return [known[v] for v in seen]

    def clean(self):
        data = super().clean()
        mode = data.get("mode") or self.MODE_SITES
        data["mode"] = mode
        if mode == self.MODE_SITES and "kampung" in data:
            n = len(data["kampung"])
            if n < MIN_SITES:
                self.add_error(
                    "kampung",
                    _("Choose at least 2 Kampung KB to compare (you chose %(n)d).") % {"n": n},
                )
            elif n > MAX_SITES:
                self.add_error(
                    "kampung",
                    _("Compare at most 6 Kampung KB at a time (you chose %(n)d).") % {"n": n},
                )
        if mode == self.MODE_KECAMATAN and "kecamatan" in data:
            n = len(data["kecamatan"])
            if n < MIN_KECAMATAN:
                self.add_error(
                    "kecamatan",
                    _("Choose at least 2 kecamatan to compare (you chose %(n)d).") % {"n": n},
                )
            elif n > MAX_KECAMATAN:
                self.add_error(
                    "kecamatan",
                    _("Compare at most 7 kecamatan at a time (you chose %(n)d).") % {"n": n},
                )
        start, end = data.get("dari"), data.get("sampai")
        if "dari" in self.errors or "sampai" in self.errors:
            return data
        # Default: the 12 months ending with the newest scored month.
        end = end or self.default_end
        if end and not start:
            start = add_months(end, -11)
        if start and end and start > end:
            self.add_error(
                "sampai",
                _("The period is reversed: %(start)s is after %(end)s. Swap the two months.")
                % {"start": start.strftime("%m/%Y"), "end": end.strftime("%m/%Y")},
            )
        data["dari"], data["sampai"] = start, end
        return data
