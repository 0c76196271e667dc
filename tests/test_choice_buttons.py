"""The activity form's choices as tappable buttons: ``button_choices`` builds in Python
the markup the template used to render per option (Django's ``choice.tag`` and a label),
so the HTML must stay the same one, checked options and required flags included."""

import pytest
from django.template import Context, Template
from django.test.html import parse_html

from activities.forms import ActivityForm, ActivityPhotoForm

from . import factories as f
from .test_activity_input import form_data

pytestmark = pytest.mark.django_db

BUTTON_FIELDS = ("category", "target_groups", "poktan", "agencies", "origin")


def django_markup(field, color):
    """The options as the template rendered them before: one widget template per option."""
    return "".join(
        f'<div class="kkb-choice">{option.tag()}<label class="btn btn-outline-{color} '
        f'btn-tap w-100" for="{option.id_for_label}">{option.choice_label}</label></div>'
        for option in field
    )


def button_markup(field, color):
    template = Template("{% load choice_buttons %}{{ field|button_choices:color }}")
    return template.render(Context({"field": field, "color": color}))


@pytest.mark.parametrize("bound", [False, True], ids=["new form", "refused form"])
def test_the_buttons_are_the_markup_of_djangos_widgets(pokja_a, site_a, bound):
    agencies = [f.OPDFactory(), f.OPDFactory(), f.OPDFactory()]
    data = form_data(
        site_a,
        category="ekonomi",
        target_groups=["pus", "remaja"],
        agencies=[agencies[0].pk, agencies[2].pk],
        title="",  # refused: the checked options must come back checked
    )
    form = ActivityForm(data=data if bound else None, user=pokja_a)
    if bound:
        assert not form.is_valid()
    for name in BUTTON_FIELDS:
        field = form[name]
        built = button_markup(field, "secondary")
        assert parse_html(built) == parse_html(django_markup(field, "secondary")), name
        assert built.count('class="btn-check"') == len(field.field.choices), name
    if bound:
        body = button_markup(form["agencies"], "secondary")
        assert body.count(" checked") == 2
        category = parse_html(button_markup(form["category"], "success"))
        checked = parse_html(
            '<input type="radio" name="category" value="ekonomi" class="btn-check" '
            'id="id_category_6" required checked>'
        )
        assert category.count(checked) == 1


def test_the_photo_kind_buttons_are_the_markup_of_djangos_widgets(db):
    form = ActivityPhotoForm(prefix="photo-2")
    built = button_markup(form["kind"], "secondary")
    assert parse_html(built) == parse_html(django_markup(form["kind"], "secondary"))
    assert 'name="photo-2-kind"' in built


def test_labels_are_escaped(pokja_a, site_a):
    f.OPDFactory(short_name='<script>alert("x")</script>')
    body = button_markup(ActivityForm(user=pokja_a)["agencies"], "secondary")
    assert "<script>" not in body and "&lt;script&gt;" in body
