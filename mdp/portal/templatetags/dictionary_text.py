"""Template filter picking a dictionary text in the page's language.

Dictionary titles and descriptions carry their languages side by side
({"en": ..., "fr": ...}) in policies/dictionary/, not in the gettext catalogue,
because they are policy data that an institution edits without a code release.
"""

from django import template
from django.utils.translation import get_language, pgettext_lazy

register = template.Library()


@register.filter
def localised(texts: dict) -> str:
    """The text in the current language, English when that language is missing."""
    language = (get_language() or "en").split("-")[0]
    return texts.get(language) or texts.get("en", "")


PROTECTION_NAMES = {
    "open": pgettext_lazy("protection", "open"),
    "aggregated": pgettext_lazy("protection", "aggregated"),
    "restricted": pgettext_lazy("protection", "restricted"),
}


@register.filter
def protection_name(protection: str) -> str:
    """A protection level's short name in the page's language (tables show it for every variable)."""
    return PROTECTION_NAMES.get(protection, protection)
