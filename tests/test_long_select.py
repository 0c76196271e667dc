"""LongSelect writes a <select> in Python for speed: it must stay the HTML that Django's
own select.html gives under the same renderer, escaping included."""

import pytest
from django import forms

from kampungkb.forms import FAST_RENDERER, LongSelect
from reports.forms import FilterChoiceField
from villages.models import Kota

CHOICES = [("", "Semua"), (1, "Kota Tangerang Selatan"), ("x", 'A & <b>"q"</b> \'s')]
GROUPED = [("Banten", [(1, "Tangsel"), (2, "Tangerang")]), ("<Jawa>", [(3, "Bogor")])]


@pytest.mark.parametrize(
    "choices, value",
    [(CHOICES, "x"), (CHOICES, ""), (CHOICES, None), (GROUPED, 3), (GROUPED, ["1", "3"])],
)
@pytest.mark.parametrize("multiple", [False, True])
def test_long_select_writes_what_django_select_writes(choices, value, multiple):
    attrs = {"class": "form-select", "required": True, "disabled": False, "data-x": '"><'}
    django_widget = (forms.SelectMultiple if multiple else forms.Select)(
        choices=choices, attrs=attrs
    )
    ours = type("Ours", (LongSelect,), {"allow_multiple_selected": multiple})(
        choices=choices, attrs=attrs
    )
    expected = django_widget.render("kota", value, {"id": "id_kota"}, FAST_RENDERER)
    assert ours.render("kota", value, {"id": "id_kota"}, FAST_RENDERER) == expected
    assert "<b>" not in expected and 'data-x="&#34;&gt;&lt;"' in expected


@pytest.mark.django_db
def test_a_report_filter_lists_cities_as_django_would():
    field = FilterChoiceField(Kota.objects.order_by("code"))
    assert isinstance(field.widget, LongSelect)
    html = field.widget.render("kota", Kota.objects.first().pk, {}, FAST_RENDERER)
    expected = forms.Select(choices=field.choices).render(
        "kota", Kota.objects.first().pk, {}, FAST_RENDERER
    )
    assert html == expected and "selected" in html and "Kota Tangerang Selatan" in html
