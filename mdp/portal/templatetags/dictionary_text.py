"""Template filter picking a dictionary text in the page's language.

Dictionary titles and descriptions carry their languages side by side
({"en": ..., "fr": ...}) in policies/dictionary/, not in the gettext catalogue,
because they are policy data that an institution edits without a code release.
"""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localised(texts: dict) -> str:
    """The text in the current language, English when that language is missing."""
    language = (get_language() or "en").split("-")[0]
    return texts.get(language) or texts.get("en", "")
