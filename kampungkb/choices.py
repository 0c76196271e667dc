"""``get_FOO_display()`` that translates one label, not all of them.

Django's own ``Model._get_FIELD_display`` builds ``dict(make_hashable(field.flatchoices))``
on every call. Hashing a lazy label translates it, so each call translates every label of
the field: on the site page that was ~500 translations (about 3 ms) for some 70 badges and
cells. This mixin keeps one ``{value: lazy label}`` dict per field and turns only the chosen
label into text, in the active language. The result is the same as Django's (a test
compares them for every choice field, in both languages).
"""

from functools import cache

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@cache
def choice_labels(field) -> dict:
    # Values as keys (plain, hashable); the lazy labels are stored, not hashed.
    return {make_hashable(value): label for value, label in field.flatchoices}


class ChoiceLabelsMixin:
    """Put before ``models.Model`` in the bases of a model with choice fields: the
    ``get_FOO_display`` methods are bound to the ``_get_FIELD_display`` found on the class
    when its fields are added."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(choice_labels(field).get(make_hashable(value), value), strings_only=True)
