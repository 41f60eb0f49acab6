"""Texts that policy files carry in several languages side by side: {"en": ..., "fr": ...}.

Policy data (the dictionary, the application form) is edited by an institution
without a code release, so its wording lives there and not in the gettext
catalogues. English is required; other languages are optional.
"""

from __future__ import annotations


def multilingual(value, where: str) -> dict:
    """A plain string or a {language: text} mapping with 'en' -> the mapping; else ValueError naming `where`."""
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict) and value.get("en") and all(isinstance(v, str) for v in value.values()):
        return {k: v.strip() for k, v in value.items()}
    raise ValueError(f"{where}: must be a text or a mapping of languages to texts with at least 'en'")


def in_language(texts: dict, language: str | None = None) -> str:
    """The text in `language` (default: the active Django language), English when there is no translation."""
    if language is None:
        from django.utils.translation import get_language

        language = get_language() or "en"
    return texts.get(language.split("-")[0]) or texts.get("en", "")
