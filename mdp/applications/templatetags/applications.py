"""Template helpers for texts declared in several languages in policies/."""

from django import template
from django.utils.translation import get_language

from mdp.applications.form_policy import in_language

register = template.Library()


@register.filter
def tr(texts) -> str:
    """{'en': ..., 'fr': ...} -> the text in the page's language (English when missing)."""
    return in_language(texts, get_language() or "en") if isinstance(texts, dict) else (texts or "")


@register.filter
def get(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if isinstance(mapping, dict) else None
