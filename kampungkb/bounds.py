"""Bounds for every id and number a request carries.

Ids are BigAutoFields: 1..2^63-1. A larger number reaches the database as an
out-of-range parameter (SQLite: ``OverflowError``; PostgreSQL: ``bigint out of range``)
unless it is refused first, so every way an id enters goes through this module:

* URL paths: the ``<id:…>`` converter (at most 19 digits, at most :data:`MAX_ID`; a
  larger one matches no URL: 404);
* query parameters parsed by hand (``?site=``): :func:`parse_id`;
* model choice fields, single and multiple, in every form, filter and admin page:
  :func:`install` bounds Django's own ``ModelChoiceField`` / ``ModelMultipleChoiceField``
  (django-filter's and the admin's fields are subclasses or instances of them), so an
  out-of-range id is refused with the field's usual, translated "not one of the available
  choices" message before any query;
* integer inputs of model forms: the column's range as the form field's min/max;
* the admin's date hierarchy (``?date__year=``): a year no date can have is a bad filter;
* page numbers and sizes: :func:`page_in_range`, :class:`TablePaginator`.
"""

import re

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.urls import register_converter

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """``value`` as an id (1..MAX_ID), or None for anything else (empty, not digits,
    negative, too large)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def page_in_range(number: int, per_page: int) -> bool:
    """Whether page ``number`` starts at an OFFSET the database accepts (a bigint)."""
    return (number - 1) * per_page <= MAX_ID


MAX_PER_PAGE = 100


class TablePaginator(Paginator):
    """The paginator of the django-tables2 lists. django-tables2 takes the page size from
    the URL (``?per_page=``), which the portal never offers: -1 made the paginator fail
    (500) and 10^6 would render every row at once. Here it stays within 1..MAX_PER_PAGE."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
        super().__init__(object_list, per_page, *args, **kwargs)


class IdConverter:
    """``<id:pk>``: like ``<int:pk>``, but an id beyond the bigint range matches no URL
    (404) instead of reaching the database."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # the resolver answers 404
        return number

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")


# --- Model choice fields ----------------------------------------------------------------
def _column_range(key):
    """The (min, max) the database column of model field ``key`` holds, or None when it is
    not an integer (a code, a slug). The portable ranges (PostgreSQL's), also on SQLite,
    so both answer alike."""
    while key.is_relation:
        key = key.target_field
    if not isinstance(key, models.IntegerField):
        return None
    return BaseDatabaseOperations.integer_field_ranges.get(key.get_internal_type())


def _choice_key(field):
    model = field.queryset.model
    return model._meta.get_field(field.to_field_name) if field.to_field_name else model._meta.pk


def _as_int(value):
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def out_of_range(key, value) -> bool:
    """Whether ``value`` is an integer that model field ``key``'s column cannot hold (so
    it names no row, and the database would fail on it)."""
    if isinstance(value, models.Model):
        return False
    number, bounds = _as_int(value), _column_range(key)
    return number is not None and bounds is not None and not bounds[0] <= number <= bounds[1]


def names_no_row(key, value) -> bool:
    """Whether ``value`` cannot be a value of model field ``key``: out of range, or not a
    number for an integer column."""
    if _column_range(key) is not None and _as_int(value) is None:
        return not isinstance(value, models.Model)
    return out_of_range(key, value)


def _bounded_to_python(original):
    def to_python(self, value):
        if value not in self.empty_values and out_of_range(_choice_key(self), value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return original(self, value)

    to_python.bounded = True
    return to_python


def _bounded_check_values(original):
    def _check_values(self, value):
        if isinstance(value, list | tuple | set | frozenset):
            for pk in value:
                if out_of_range(_choice_key(self), pk):
                    raise ValidationError(
                        self.error_messages["invalid_choice"],
                        code="invalid_choice",
                        params={"value": pk},
                    )
        return original(self, value)

    _check_values.bounded = True
    return _check_values


def _bounded_optgroups(original):
    def optgroups(self, name, value, attr=None):
        # The admin's autocomplete widget looks up the submitted ids to show them again
        # (``…__in``): an id no row can have is left out, as a missing row would be.
        opts = self.field.remote_field.model._meta
        key = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))
        value = [v for v in value if not names_no_row(key, v)]
        return original(self, name, value, attr)

    optgroups.bounded = True
    return optgroups


def _bounded_formfield(original):
    def formfield(self, **kwargs):
        # The column's range, the same on SQLite as on PostgreSQL: 2^31 in a
        # PositiveIntegerField is refused by the form, not by the database.
        bounds = BaseDatabaseOperations.integer_field_ranges.get(self.get_internal_type())
        if bounds is not None:
            kwargs = {"min_value": bounds[0], "max_value": bounds[1], **kwargs}
        return original(self, **kwargs)

    formfield.bounded = True
    return formfield


def _bounded_get_filters(original):
    def get_filters(self, request):
        # The date hierarchy turns ?date__year= into a datetime outside Django's own
        # ValueError guard: a year of 2^63 (OverflowError) or 9999 (year 10000 as the end)
        # failed with a 500. Answered as any other bad filter: the list without it (?e=1).
        try:
            return original(self, request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    get_filters.bounded = True
    return get_filters


def install():
    """Bound Django's model choice fields and integer form fields (once, from
    ``KampungKBConfig.ready``).

    Patched at the base classes rather than swapped for subclasses: model forms, the
    admin (``formfield_for_foreignkey`` / ``_manytomany``, autocomplete widgets) and
    django-filter each build their own instances of these classes, so a subclass would
    have to be threaded through every one of them, and the next field would miss it."""
    from django.contrib.admin.views.main import ChangeList
    from django.contrib.admin.widgets import AutocompleteMixin

    single, multiple = forms.ModelChoiceField, forms.ModelMultipleChoiceField
    if not getattr(single.to_python, "bounded", False):
        single.to_python = _bounded_to_python(single.to_python)
    if not getattr(multiple._check_values, "bounded", False):
        multiple._check_values = _bounded_check_values(multiple._check_values)
    if not getattr(models.IntegerField.formfield, "bounded", False):
        models.IntegerField.formfield = _bounded_formfield(models.IntegerField.formfield)
    if not getattr(ChangeList.get_filters, "bounded", False):
        ChangeList.get_filters = _bounded_get_filters(ChangeList.get_filters)
    if not getattr(AutocompleteMixin.optgroups, "bounded", False):
        AutocompleteMixin.optgroups = _bounded_optgroups(AutocompleteMixin.optgroups)
