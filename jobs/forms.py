from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kampungkb.forms import MonthField

MAX_MONTHS = 120  # ten years in one job


class RecomputeForm(forms.Form):
    first = MonthField(label=_("From month"))
    last = MonthField(label=_("To month"))

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            return data
        current = timezone.localdate().replace(day=1)
        if last > current:
            self.add_error("last", _("The month cannot be in the future."))
        elif first > last:
            self.add_error("first", _("The first month must not be after the last."))
        elif first < settings.REPORTING_SINCE.replace(day=1):
            self.add_error(
                "first",
                _("Quality rows start in %(month)s.")
                % {"month": settings.REPORTING_SINCE.strftime("%m/%Y")},
            )
        elif (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            self.add_error("first", _("At most %(n)d months in one task.") % {"n": MAX_MONTHS})
        return data
