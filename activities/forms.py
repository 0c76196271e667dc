"""The activity and Pokja member forms: one validation path for the phone form, the
admin and spreadsheet imports."""

import functools

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import FAST_RENDERER, DateInput, TimeInput
from kampungkb.scopes import get_scope
from kampungkb.text import MultiLineFormField
from villages.models import KampungKB
from villages.validators import ImageUploadField

from . import photos
from .models import OPD, Activity, ActivityPhoto, OPDProgram, PokjaMember, TargetGroup, Usulan
from .workflow import REASON_MAX_LENGTH, reason_too_long_message, stale_message

# Choices rendered as large tappable buttons (Bootstrap "btn-check"), see
# templates/activities/includes/choice_buttons.html.
BUTTON_CHOICE = {"class": "btn-check"}


def sites_for_new_activity(user):
    """Sites where ``user`` may record an activity: a Pokja member at their own active
    site(s); an OPD coordinator at any active site (their agency ran it there); the Dinas
    anywhere active. Area viewers record nothing."""
    scope = get_scope(user)
    sites = KampungKB.objects.active()
    if scope.is_dinas or scope.is_opd:
        return sites
    return sites.filter(pk__in=scope.pokja_site_ids)


def can_record_at(user, site) -> bool:
    """``site`` is in ``sites_for_new_activity(user)``, decided without a query."""
    scope = get_scope(user)
    return site.is_active and (scope.is_dinas or scope.is_opd or site.pk in scope.pokja_site_ids)


class ActivityForm(forms.ModelForm):
    """Create or edit an activity. ``user`` narrows every choice to the user's scope.

    Non-model fields: ``client_token`` (a UUID the phone form generates once, so a repeated
    submit finds the activity it already created) and ``version`` (required when editing:
    an edit based on an older version — e.g. the Dinas verified it meanwhile — is refused).
    """

    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple(attrs=BUTTON_CHOICE),
        required=False,
    )
    # Hidden fields: their errors are shown at the top of the form (nothing to mark), so
    # each says which part of the page is broken and what to do.
    client_token = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The form token is broken; reload the page and send again.")},
    )
    version = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value"),
            _("The form's version number is missing or broken; reload the page and try again."),
        ),
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
            "category": forms.RadioSelect(attrs=BUTTON_CHOICE),
            "poktan": forms.RadioSelect(attrs=BUTTON_CHOICE),
            "origin": forms.RadioSelect(attrs=BUTTON_CHOICE),
            "agencies": forms.CheckboxSelectMultiple(attrs=BUTTON_CHOICE),
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
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            del self.fields["client_token"]
        self.fields["site"].queryset = sites
        self.fields["site"].error_messages["invalid_choice"] = _(
            "You can record activities only for a Kampung KB you belong to."
        )
        self.single_site = None
        if not self.instance.pk:
            site_list = list(sites[:2])
            if len(site_list) == 1:
                self.single_site = site_list[0]
                self.fields["site"].initial = self.single_site
            self.fields["date"].initial = timezone.localdate()
        self.fields["agencies"].queryset = OPD.objects.active().order_by("kind", "name")
        self.fields["opd_program"].queryset = (
            OPDProgram.objects.visible_to(user).filter(sites__in=sites).distinct()
        )
        self.fields["category"].choices = self.fields["category"].choices[1:]  # no "---"
        self.fields["poktan"].choices = [("", _("Not a poktan meeting"))] + [
            c for c in self.fields["poktan"].choices if c[0]
        ]
        self.fields["origin"].choices = [c for c in self.fields["origin"].choices if c[0]]
        self.fields["title"].widget.attrs.update(autocomplete="off", maxlength=200)
        # Shown under the legend "Participants" on the phone form.
        self.fields["participants_male"].label = _("Men")
        self.fields["participants_female"].label = _("Women")
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
        if self.instance.pk:
            version = cleaned.get("version")
            if not self.instance.is_editable or (
                version is not None and version != self.instance.version
            ):
                raise ValidationError(stale_message(self.instance), code="stale")
        scope = get_scope(self.user)
        site = cleaned.get("site")
        # A coordinator who is also in this site's Pokja may record for the Pokja itself.
        needs_agency = (
            "recorded_by_opd" in self.fields
            and not scope.is_dinas
            and not cleaned.get("recorded_by_opd")
            and not (site is not None and site.pk in scope.pokja_site_ids)
        )
        if needs_agency:
            own = list(self.fields["recorded_by_opd"].queryset[:2])
            if len(own) == 1:
                cleaned["recorded_by_opd"] = own[0]
            else:
                self.add_error("recorded_by_opd", _("Choose the agency that ran it."))
        program, agency = cleaned.get("opd_program"), cleaned.get("recorded_by_opd")
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
                    _("The program “%(program)s” does not run at %(site)s.")
                    % {"program": program, "site": site},
                )
        return cleaned

    @property
    def is_stale(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "stale")

    def save(self, commit=True):
        activity = self.instance
        if activity.pk:
            activity.version += 1
        else:
            activity.created_by = self.user if self.user.is_authenticated else None
            activity.client_token = self.cleaned_data.get("client_token")
            scope = get_scope(self.user)
            if (
                activity.recorded_by_opd_id is None
                and not scope.is_dinas
                and activity.site_id not in scope.pokja_site_ids
                and scope.opd_ids
            ):
                # An OPD coordinator records what their agency ran at the site.
                activity.recorded_by_opd_id = min(scope.opd_ids)
        return super().save(commit=commit)

    def _save_m2m(self):
        super()._save_m2m()
        # The recording agency took part: it counts among the activity's agencies (the
        # cross-sector indicator reads ``agencies``).
        if self.instance.recorded_by_opd_id:
            self.instance.agencies.add(self.instance.recorded_by_opd_id)


class ActivityPhotoForm(forms.ModelForm):
    """One photo slot. A new upload is validated and processed here (activities.photos);
    an existing photo only changes its kind, caption and "public" flag."""

    # activities.photos checks the image itself, with the messages of a site's photo.
    image = ImageUploadField(
        label=_("Photo"),
        widget=forms.FileInput(attrs={"accept": "image/*", "data-downscale": "1600"}),
    )
    client_taken_at = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    class Meta:
        model = ActivityPhoto
        fields = ["image", "kind", "is_public", "caption"]
        widgets = {
            "kind": forms.RadioSelect(attrs=BUTTON_CHOICE),
            "is_public": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.processed = None
        if self.instance.pk:
            del self.fields["image"]
            del self.fields["client_taken_at"]
        self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0]]

    def has_changed(self):
        # An empty new slot stays empty even if its kind was tapped.
        if not self.instance.pk and not self.files.get(self.add_prefix("image")):
            return False
        return super().has_changed()

    def clean(self):
        cleaned = super().clean()
        image = cleaned.get("image")
        if image and not self.instance.pk and "image" not in self._errors:
            try:
                self.processed = photos.process_upload(image, cleaned.get("client_taken_at"))
            except ValidationError as error:
                self.add_error("image", error)
        return cleaned

    def save(self, commit=True):
        if self.processed is not None:
            self.instance.apply_processed(self.processed)
        return super().save(commit=commit)


class BaseActivityPhotoFormSet(BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The formset counts kept + new photos itself (a photo may be deleted and another
        # added in the same post), instead of each new photo counting the stored ones.
        form.instance.limit_checked_by_formset = True
        return form

    def clean(self):
        super().clean()
        kept = 0
        for form in self.forms:
            if form.instance.pk:
                kept += not self._should_delete_form(form)
            elif form.has_changed():
                kept += 1
        if kept > ActivityPhoto.MAX_PER_ACTIVITY:
            raise ValidationError(
                _("An activity can have at most %(max)d photos; this would make %(count)d.")
                % {"max": ActivityPhoto.MAX_PER_ACTIVITY, "count": kept},
                code="too_many_photos",
            )

    @property
    def new_slots(self):
        slots = [f for f in self.forms if not f.instance.pk]
        for number, form in enumerate(slots, start=len(self.forms) - len(slots) + 1):
            form.slot_number = number
        return slots

    @property
    def existing(self):
        return [f for f in self.forms if f.instance.pk]


@functools.cache
def _photo_formset_class(extra: int):
    # Built once per number of empty slots (a formset class costs a model form metaclass
    # run; the activity form is the busiest page of the portal).
    return inlineformset_factory(
        Activity,
        ActivityPhoto,
        form=ActivityPhotoForm,
        formset=BaseActivityPhotoFormSet,
        extra=extra,
        max_num=ActivityPhoto.MAX_PER_ACTIVITY,
        can_delete=True,
        validate_max=False,  # our own message in BaseActivityPhotoFormSet.clean
        renderer=FAST_RENDERER,
    )


def photo_formset(activity=None, data=None, files=None):
    """The photo slots of ``activity``: its photos plus empty slots up to the maximum."""
    existing = activity.photos.count() if activity is not None and activity.pk else 0
    formset_class = _photo_formset_class(max(0, ActivityPhoto.MAX_PER_ACTIVITY - existing))
    return formset_class(
        data=data,
        files=files,
        instance=activity if activity is not None else Activity(),
        prefix="photo",
        queryset=ActivityPhoto.objects.order_by("pk"),
    )


class TransitionForm(forms.Form):
    """The reason (required to return or reopen) and the version the Dinas saw."""

    # No max_length here: Django's message would print 1000 without a separator and say
    # nothing of the reason; clean_reason names both numbers instead.
    reason = MultiLineFormField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX_LENGTH}),
    )
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_reason(self):
        # Browsers send each line break as CRLF but count it as one character for maxlength.
        reason = self.cleaned_data["reason"].replace("\r\n", "\n")
        if len(reason) > REASON_MAX_LENGTH:
            raise ValidationError(reason_too_long_message(len(reason)), code="max_length")
        return reason


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
