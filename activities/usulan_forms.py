"""Forms for usulan: sending one up, offering a program down, and answering (the portal's
answer form is also the admin's)."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from kampungkb.text import (
    DESCRIPTION_MAX,
    REASON_MAX,
    TITLE_MAX,
    MultiLineFormField,
    SingleLineFormField,
)
from villages.models import KampungKB

from .models import OPD, Activity, OPDProgram, Usulan
from .usulan_services import (
    activities_for,
    addressee_agencies,
    allowed_targets,
    check_transition,
    programs_for,
    sites_for_offer,
    sites_for_usulan,
)


def _agency_label(opd):
    return f"{opd.name} ({opd.short_name})" if opd.short_name else opd.name


class UsulanForm(forms.ModelForm):
    """Bottom-up: a Pokja asks the Dinas or an agency for something."""

    class Meta:
        model = Usulan
        fields = ["site", "opd", "kind", "title", "description"]
        labels = {"opd": _("Addressed to"), "site": _("From Kampung KB")}
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(
                attrs={"rows": 4, "placeholder": _("What is needed, for whom, when?")}
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        sites = sites_for_usulan(user).select_related("kelurahan")
        self.fields["site"].queryset = sites
        if not self.is_bound:
            only = list(sites[:2])
            if len(only) == 1:
                self.fields["site"].initial = only[0].pk
        self.fields["opd"].queryset = addressee_agencies()
        self.fields["opd"].label_from_instance = _agency_label
        self.fields["kind"].choices = Usulan.Kind.choices


class UsulanOfferForm(forms.Form):
    """Top-down: the Dinas or an agency offers a program to one or more sites."""

    opd = forms.ModelChoiceField(label=_("Offered by"), queryset=OPD.objects.none())
    sites = forms.ModelMultipleChoiceField(
        label=_("To Kampung KB"),
        queryset=KampungKB.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Usulan.Kind.choices, widget=forms.RadioSelect)
    title = SingleLineFormField(label=_("Title"), max_length=TITLE_MAX)
    description = MultiLineFormField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        agencies = OPD.objects.represented_by(user).active().order_by("-is_kb_agency", "name")
        self.fields["opd"].queryset = agencies
        self.fields["opd"].label_from_instance = _agency_label
        if not self.is_bound:
            first = list(agencies[:1])
            if first:
                self.fields["opd"].initial = first[0].pk
        self.fields["sites"].queryset = sites_for_offer(user).select_related("kelurahan__kecamatan")
        self.fields["sites"].label_from_instance = lambda s: (
            f"{s.name} ({s.kelurahan.name}, {s.kelurahan.kecamatan.name})"
        )


class UsulanAnswerForm(forms.ModelForm):
    """Answer an usulan: the next status (only the steps this user may take), a reason or
    note, and for "carried out" the activity or program that did it. The checks are
    :func:`activities.usulan_services.check_transition`'s, run before anything is saved."""

    to_status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    reason = MultiLineFormField(
        label=_("Reason or note"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting."),
    )
    activity = forms.ModelChoiceField(
        label=_("Carried out by activity"), queryset=Activity.objects.none(), required=False
    )
    program = forms.ModelChoiceField(
        label=_("Carried out by OPD program"), queryset=OPDProgram.objects.none(), required=False
    )

    class Meta:
        model = Usulan
        fields: list[str] = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        usulan = self.instance
        self.targets = allowed_targets(usulan, user) if usulan.pk else []
        self.fields["to_status"].choices = [(t, Usulan.Status(t).label) for t in self.targets]
        if Usulan.Status.CARRIED_OUT in self.targets:
            self.fields["activity"].queryset = activities_for(usulan, user)
            self.fields["program"].queryset = programs_for(usulan, user).select_related("opd")
        else:
            del self.fields["activity"]
            del self.fields["program"]

    def clean(self):
        cleaned = super().clean()
        to_status = cleaned.get("to_status")
        if not to_status:
            return cleaned
        try:
            check_transition(
                self.instance,
                to_status,
                user=self.user,
                reason=cleaned.get("reason", ""),
                activity=cleaned.get("activity"),
                program=cleaned.get("program"),
            )
        except PermissionDenied:
            raise ValidationError(_("You may not make this change.")) from None
        return cleaned

    def answer(self, *, email=True):
        """Apply the change (call after ``is_valid()``)."""
        from .usulan_services import transition

        return transition(
            self.instance,
            self.cleaned_data["to_status"],
            user=self.user,
            reason=self.cleaned_data.get("reason", ""),
            activity=self.cleaned_data.get("activity"),
            program=self.cleaned_data.get("program"),
            email=email,
        )
