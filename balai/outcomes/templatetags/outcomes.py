from django import template

from balai.outcomes.board import fmt, month_label

register = template.Library()


@register.filter
def num(value, unit=""):
    return fmt(value, unit)


@register.filter
def month(value):
    return month_label(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, [])
