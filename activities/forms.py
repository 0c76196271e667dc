"""The activity and Pokja member forms: one validation path for the phone form, the
admin and spreadsheet imports."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import DateInput, TimeInput
from kampungkb.scopes import get_scope
from villages.models import KampungKB

from .models import OPD, Activity, OPDProgram, PokjaMember, TargetGroup


def sites_for_new_activity(user):
    """Sites where ``user`` may record an activity: a Pokja member at their own active
    site(s); an OPD coordinator at any active site (their agency ran it there); the Dinas
    anywhere active. Area viewers record nothing."""
    scope = get_scope(user)
    sites = KampungKB.objects.active()
    if scope.is_dinas or scope.is_opd:
        return sites
    return sites.filter(pk__in=scope.pokja_site_ids)


class ActivityForm(forms.ModelForm):
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Activity
        fields = [
            "site",
            "title",
            "date",
            "start_time",
            "place",
            "category",
            "target_groups",
            "poktan",
            "participants_male",
            "participants_female",
            "agencies",
            "funding_source",
            "origin",
            "opd_program",
            "description",
        ]
        widgets = {
            "date": DateInput(),
            "start_time": TimeInput(),
            "category": forms.RadioSelect,
            "agencies": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
            "participants_male": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            "participants_female": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        sites = sites_for_new_activity(user).select_related("kelurahan")
        if self.instance.pk:
            # An existing activity stays at its site; the site is not editable.
            sites = KampungKB.objects.filter(pk=self.instance.site_id)
            self.fields["site"].disabled = True
        self.fields["site"].queryset = sites
        if sites.count() == 1 and not self.instance.pk:
            self.fields["site"].initial = sites.first()
        self.fields["agencies"].queryset = OPD.objects.active().order_by("kind", "name")
        self.fields["opd_program"].queryset = (
            OPDProgram.objects.visible_to(user).filter(sites__in=sites).distinct()
        )
        self.fields["category"].choices = self.fields["category"].choices[1:]  # no "---"


class PokjaMemberForm(forms.ModelForm):
    class Meta:
        model = PokjaMember
        # Linking a portal account is done by the Dinas in the admin (accounts are theirs).
        fields = ["name", "position", "phone", "active_from", "active_until"]
        widgets = {"active_from": DateInput(), "active_until": DateInput()}

    def __init__(self, *args, site, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.site = site
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")
