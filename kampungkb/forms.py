"""Form fields and widgets shared by every app."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import Jinja2
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from markupsafe import escape

# Django's own widget templates, rendered by Jinja2 (the same HTML, from
# django/forms/jinja2/), for the forms rendered most often: the phone activity form (~100
# widgets: choice buttons, photo slots; about 60 ms through the Django template language)
# and the report filters (a national kota list is ~500 options). Set per form
# (``renderer=`` / ``default_renderer``), never as FORM_RENDERER: the admin's widgets exist
# only as Django templates.
FAST_RENDERER = Jinja2()


def _attrs_html(attrs) -> str:
    """Django's widgets/attrs.html: `` name="value"``, a bare `` name`` for True, nothing
    for False (escaped as Jinja2 escapes)."""
    return "".join(
        f' {escape(name)}="{escape(value)}"' if value is not True else f" {escape(name)}"
        for name, value in attrs.items()
        if value is not False
    )


class LongSelect(forms.Select):
    """A ``<select>`` written in Python instead of one template per option: byte for byte
    the HTML of Django's select.html under FAST_RENDERER (escaped by markupsafe, as Jinja2
    does), five times faster for a long list (the national kota filter of a report page,
    ~500 options: 8.0 -> 1.5 ms)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{escape(option["value"])}"'
                f"{_attrs_html(option['attrs'])}>{escape(option['label'])}</option>"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value is escaped above


class DateInput(forms.DateInput):
    """The browser's own date picker (on a phone: the native one). It always submits ISO
    dates; typed dates are read as dd/mm/yyyy (see kampungkb.formats)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month, submitted as ``YYYY-MM`` (``<input type=month>``) or typed ``MM/YYYY``;
    cleaned to the first day of that month."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as MM/YYYY.")}
    _patterns = (
        re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})(-01)?$"),
        re.compile(r"^(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    )

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        value = str(value).strip()
        for pattern in self._patterns:
            match = pattern.match(value)
            if match:
                try:
                    return datetime.date(int(match["y"]), int(match["m"]), 1)
                except ValueError:
                    break
        raise ValidationError(self.error_messages["invalid"], code="invalid")
