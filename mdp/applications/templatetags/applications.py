"""Template helpers for the application pages."""

from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if isinstance(mapping, dict) else None
