"""Template filters for texts policy files carry in several languages (dictionary, application form).

Dictionary titles, descriptions, level descriptions, comments and value labels
(`Variable.labels`) carry their languages side by side ({"en": ..., "fr": ...}),
from policies/dictionary/, not in the gettext catalogue, because they are policy
data that an institution edits without a code release.
"""

from django import template
from django.utils.translation import pgettext_lazy

from mdp.texts import in_language

register = template.Library()


@register.filter
def localised(texts) -> str:
    """The text in the current language, English when that language is missing."""
    return in_language(texts) if isinstance(texts, dict) else (texts or "")


PROTECTION_NAMES = {
    "open": pgettext_lazy("protection", "open"),
    "aggregated": pgettext_lazy("protection", "aggregated"),
    "restricted": pgettext_lazy("protection", "restricted"),
}


@register.filter
def protection_name(protection: str) -> str:
    """A protection level's short name in the page's language (tables show it for every variable)."""
    return PROTECTION_NAMES.get(protection, protection)
