from django import template
from django.forms.utils import flatatt
from django.utils.html import format_html_join

register = template.Library()


@register.filter
def button_choices(field, color):
    """The options of a RadioSelect / CheckboxSelectMultiple field as large tappable
    buttons (a Bootstrap ``btn-check`` input and its label). The ``<input>`` is the markup
    of Django's own ``input.html`` widget template, built here: the activity form shows
    about 60 options, and rendering a template for each was a quarter of its page."""
    return format_html_join(
        "",
        '<div class="kkb-choice"><input type="{}" name="{}" value="{}"{}>'
        '<label class="btn btn-outline-{} btn-tap w-100" for="{}">{}</label></div>',
        (
            (
                option.data["type"],
                option.data["name"],
                option.data["value"],
                flatatt(option.data["attrs"]),
                color,
                option.id_for_label,
                option.choice_label,
            )
            for option in field.subwidgets
        ),
    )
