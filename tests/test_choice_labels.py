"""The portal's ``get_FOO_display`` (kampungkb.choices) shows exactly what Django's would,
in both languages, for every choice field of every model of the portal's apps."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from kampungkb.choices import ChoiceLabelsMixin

PORTAL_APPS = ("kampungkb", "villages", "activities", "reports")


def choice_fields():
    for model in apps.get_models():
        if model._meta.app_label not in PORTAL_APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_every_portal_model_with_choices_uses_the_fast_labels():
    # Without the mixin a model still shows the right label, only slower: this catches a
    # new model (or a new choice field on an old one) added without it.
    missing = sorted(
        {m.__name__ for m, _ in choice_fields() if not issubclass(m, ChoiceLabelsMixin)}
    )
    assert list(choice_fields()), "no choice field found: the test would check nothing"
    assert missing == []


@pytest.mark.parametrize("language", ["id", "en"])
def test_labels_match_djangos_for_every_value_and_an_unknown_one(language):
    checked = 0
    with translation.override(language):
        for model, field in choice_fields():
            for value in [v for v, _ in field.flatchoices] + ["not-a-choice", None]:
                instance = model()
                setattr(instance, field.attname, value)
                ours = getattr(instance, f"get_{field.name}_display")()
                djangos = models.Model._get_FIELD_display(instance, field)
                assert ours == djangos, (model.__name__, field.name, value)
                assert type(ours) is type(djangos)
                checked += 1
    assert checked > 50


def test_a_label_follows_the_active_language():
    from activities.models import Activity

    activity = Activity(status=Activity.Status.VERIFIED)
    with translation.override("en"):
        english = activity.get_status_display()
    with translation.override("id"):
        indonesian = activity.get_status_display()
    assert english == "Verified"
    assert indonesian != english
