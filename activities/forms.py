"""The activity and Pokja member forms: one validation path for the phone form, the
admin and spreadsheet imports."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import DateInput, TimeInput
from kampungkb.scopes import get_scope
from villages.models import KampungKB

from .models import OPD, Activity, OPDProgram, PokjaMember, TargetGroup, Usulan


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
            "recorded_by_opd",
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
        # Only an empty form needs the default (a bound one, e.g. an import row, skips the
        # two queries).
        if not self.is_bound and not self.instance.pk and sites.count() == 1:
            self.fields["site"].initial = sites.first()
        self.fields["agencies"].queryset = OPD.objects.active().order_by("kind", "name")
        self.fields["opd_program"].queryset = (
            OPDProgram.objects.visible_to(user).filter(sites__in=sites).distinct()
        )
        self.fields["category"].choices = self.fields["category"].choices[1:]  # no "---"
        self._setup_recording_agency()

    def _setup_recording_agency(self):
        """An OPD coordinator records the activities *their agency* ran: the activity is
        theirs (``recorded_by_opd``), counts as cross-sector and shows the agency's name on
        the site page. A coordinator of one agency never has to choose; the Dinas may name
        any agency; a Pokja does not see the field."""
        scope = get_scope(self.user)
        field = self.fields.get("recorded_by_opd")
        if field is None:
            return
        if scope.is_dinas:
            field.queryset = OPD.objects.active()
            return
        if not scope.opd_ids:
            del self.fields["recorded_by_opd"]
            return
        own = OPD.objects.represented_by(self.user).active()
        field.queryset = own
        if self.instance.pk and self.instance.recorded_by_opd_id:
            field.disabled = True  # a recorded activity stays its agency's
        elif len(scope.opd_ids) == 1 and not self.is_bound:
            field.initial = next(iter(scope.opd_ids))

    def clean(self):
        cleaned = super().clean()
        scope = get_scope(self.user)
        if "recorded_by_opd" in self.fields and not scope.is_dinas:
            site = cleaned.get("site")
            if not cleaned.get("recorded_by_opd"):
                own = list(self.fields["recorded_by_opd"].queryset[:2])
                if site is not None and site.pk in scope.pokja_site_ids:
                    pass  # a coordinator who is also in this site's Pokja records for it
                elif len(own) == 1:
                    cleaned["recorded_by_opd"] = own[0]
                else:
                    self.add_error("recorded_by_opd", _("Choose the agency that ran it."))
        program, site = cleaned.get("opd_program"), cleaned.get("site")
        agency = cleaned.get("recorded_by_opd")
        if program is not None:
            if agency is not None and program.opd_id != agency.pk:
                self.add_error(
                    "opd_program",
                    _("This program belongs to %(opd)s, not to %(agency)s.")
                    % {"opd": program.opd, "agency": agency},
                )
            elif site is not None and not program.sites.filter(pk=site.pk).exists():
                self.add_error(
                    "opd_program",
                    _("The program “%(program)s” does not include %(site)s.")
                    % {"program": program, "site": site},
                )
        return cleaned

    def _save_m2m(self):
        super()._save_m2m()
        # The recording agency took part: it counts among the activity's agencies (the
        # cross-sector indicator reads ``agencies``).
        if self.instance.recorded_by_opd_id:
            self.instance.agencies.add(self.instance.recorded_by_opd_id)


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


class OPDProgramForm(forms.ModelForm):
    """An agency's program at one or more Kampung KB: the admin's form and the import's.
    A coordinator chooses among their own agencies only; the sites are the active ones."""

    usulan = forms.ModelChoiceField(
        label=_("Answers usulan"),
        queryset=Usulan.objects.none(),
        required=False,
        help_text=_("The accepted usulan this program carries out (it is then marked done)."),
    )

    class Meta:
        model = OPDProgram
        fields = ["opd", "title", "sites", "starts_on", "ends_on", "status", "description"]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        agencies = OPD.objects.represented_by(user).active()
        if self.instance.pk:
            agencies = agencies | OPD.objects.filter(pk=self.instance.opd_id)
        self.fields["opd"].queryset = agencies.distinct()
        scope = get_scope(user)
        if not self.is_bound and not self.instance.pk and len(scope.opd_ids) == 1:
            self.fields["opd"].initial = next(iter(scope.opd_ids))
        sites = KampungKB.objects.visible_to(user).active()
        if self.instance.pk:
            # A site that has since closed stays on the program's record.
            sites = sites | KampungKB.objects.filter(opd_programs=self.instance)
        self.fields["sites"].queryset = sites.select_related("kelurahan").distinct()
        self.fields["usulan"].queryset = (
            Usulan.objects.editable_by(user)
            .filter(status=Usulan.Status.ACCEPTED)
            .select_related("site", "opd")
        )

    def clean(self):
        cleaned = super().clean()
        usulan, opd, sites = cleaned.get("usulan"), cleaned.get("opd"), cleaned.get("sites")
        if usulan is not None and opd is not None and sites is not None:
            if usulan.opd_id != opd.pk:
                self.add_error(
                    "usulan",
                    _("The usulan is addressed to %(opd)s, not to %(agency)s.")
                    % {"opd": usulan.opd, "agency": opd},
                )
            elif usulan.site not in sites:
                self.add_error(
                    "sites", _("Include %(site)s, the usulan's site.") % {"site": usulan.site}
                )
        return cleaned

    def _save_m2m(self):
        super()._save_m2m()
        usulan = self.cleaned_data.get("usulan")
        if usulan is not None:
            from .usulan_services import transition

            transition(usulan, Usulan.Status.CARRIED_OUT, user=self.user, program=self.instance)
