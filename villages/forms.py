from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.core.validators import validate_image_file_extension
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import DateInput, MonthField

from .models import (
    AGE_BANDS,
    SEXES,
    KampungKB,
    Kelurahan,
    KKBPKSnapshot,
    PopulationSnapshot,
    ProfileSnapshot,
    age_key,
)
from .validators import ImageUploadField


class SiteImageField(ImageUploadField):
    # A site's picture keeps the extension check Django's ImageField made ("foto.html" is
    # refused by its name); the phone's activity photos are renamed by the browser instead.
    default_validators = [validate_image_file_extension]


class KelurahanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.kecamatan.name} — {obj.name} ({obj.code})"


class KampungKBForm(forms.ModelForm):
    kelurahan = KelurahanChoiceField(
        queryset=Kelurahan.objects.select_related("kecamatan").order_by("code"),
        label=_("Kelurahan"),
    )

    class Meta:
        model = KampungKB
        fields = [
            "name",
            "kelurahan",
            "coverage",
            "rw_text",
            "declared_on",
            "description",
            "latitude",
            "longitude",
            "photo",
            "org_chart",
            "is_active",
            "is_model_site",
        ]
        widgets = {
            "declared_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/*"}),
            "org_chart": forms.ClearableFileInput(attrs={"accept": "image/*"}),
        }
        field_classes = {"photo": SiteImageField, "org_chart": SiteImageField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class SnapshotFormMixin:
    """The month is chosen with a month picker; the site comes from the URL, never the form."""

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if site is not None:
            self.instance.site = site
        self.helper = FormHelper()
        self.helper.form_tag = False


class ProfileSnapshotForm(SnapshotFormMixin, forms.ModelForm):
    period = MonthField(label=_("Month"))

    class Meta:
        model = ProfileSnapshot
        fields = [
            "period",
            "pokja_exists",
            "sk_issuer",
            "sk_number",
            "sk_date",
            "sk_valid_until",
            "sk_file",
            "members_count",
            "trained_members_count",
            "companion",
            "companion_name",
            "companion_nip",
            "companion_contact",
            *ProfileSnapshot.REGULATION_FIELDS,
            *ProfileSnapshot.POKTAN_FIELDS,
            *ProfileSnapshot.FACILITY_FIELDS,
            *ProfileSnapshot.FUNDING_FIELDS,
            "has_rkm",
            *ProfileSnapshot.DATA_SOURCE_FIELDS,
            *ProfileSnapshot.MECHANISM_FIELDS,
        ]
        widgets = {"sk_date": DateInput(), "sk_valid_until": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sk_file"].widget.attrs["accept"] = "application/pdf,image/*"
        checks = "row row-cols-1 row-cols-sm-2 g-1 mb-3"
        self.helper.layout = Layout(
            "period",
            Fieldset(
                _("Pokja"),
                "pokja_exists",
                "sk_issuer",
                "sk_number",
                "sk_date",
                "sk_valid_until",
                "sk_file",
                "members_count",
                "trained_members_count",
            ),
            Fieldset(
                _("Companion and regulations"),
                "companion",
                "companion_name",
                "companion_nip",
                "companion_contact",
                Div(*ProfileSnapshot.REGULATION_FIELDS, css_class=checks),
            ),
            Fieldset(
                _("Poktan and facilities owned"),
                Div(
                    *ProfileSnapshot.POKTAN_FIELDS,
                    *ProfileSnapshot.FACILITY_FIELDS,
                    css_class=checks,
                ),
            ),
            Fieldset(
                _("Funding sources and plan"),
                Div(*ProfileSnapshot.FUNDING_FIELDS, "has_rkm", css_class=checks),
            ),
            Fieldset(
                _("Data sources used"),
                Div(*ProfileSnapshot.DATA_SOURCE_FIELDS, css_class=checks),
            ),
            Fieldset(
                _("Operational mechanisms (how often each is done)"),
                *ProfileSnapshot.MECHANISM_FIELDS,
            ),
        )


class PopulationSnapshotForm(SnapshotFormMixin, forms.ModelForm):
    """Population with one number field per age band and sex (rendered as a table)."""

    period = MonthField(label=_("Month"))

    class Meta:
        model = PopulationSnapshot
        fields = [
            "period",
            "families",
            "pus",
            "adolescents",
            "families_with_toddlers",
            "families_with_adolescents",
            "families_with_elderly",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        residents = self.instance.residents or {}
        self.age_rows = []
        for band in AGE_BANDS:
            row = []
            for sex in SEXES:
                name = f"age_{age_key(band, sex)}"
                self.fields[name] = forms.IntegerField(
                    label=f"{band} {sex}",
                    min_value=0,
                    max_value=1_000_000,
                    required=False,
                    initial=residents.get(age_key(band, sex)),
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
                row.append(name)
            self.age_rows.append((band, row))

    def age_table(self):
        return [(band, [self[name] for name in names]) for band, names in self.age_rows]

    def clean(self):
        cleaned = super().clean()
        self.instance.residents = {
            age_key(band, sex): cleaned.get(f"age_{age_key(band, sex)}") or 0
            for band in AGE_BANDS
            for sex in SEXES
        }
        return cleaned


class KKBPKSnapshotForm(SnapshotFormMixin, forms.ModelForm):
    period = MonthField(label=_("Month"))

    class Meta:
        model = KKBPKSnapshot
        fields = [
            "period",
            *KKBPKSnapshot.PARTICIPANT_FIELDS.values(),
            *KKBPKSnapshot.METHOD_FIELDS,
            *KKBPKSnapshot.NONUSER_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                field.widget.attrs.setdefault("inputmode", "numeric")
        grid = "row row-cols-2 row-cols-md-4 g-2"
        self.helper.layout = Layout(
            "period",
            Fieldset(
                _("Poktan participants"),
                Div(*KKBPKSnapshot.PARTICIPANT_FIELDS.values(), css_class=grid),
            ),
            Fieldset(
                _("Active KB users by method"), Div(*KKBPKSnapshot.METHOD_FIELDS, css_class=grid)
            ),
            Fieldset(
                _("PUS not using KB, by reason"),
                Div(*KKBPKSnapshot.NONUSER_FIELDS, css_class=grid),
            ),
        )
