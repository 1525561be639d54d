"""Language codes: names for prompts and ISO 639-3 codes for Apertium's mode names."""

from __future__ import annotations

# ISO 639-1 -> (English name, ISO 639-3 as Apertium names its pairs)
_LANGUAGES = {
    "en": ("English", "eng"), "es": ("Spanish", "spa"), "ca": ("Catalan", "cat"),
    "fr": ("French", "fra"), "pt": ("Portuguese", "por"), "it": ("Italian", "ita"),
    "de": ("German", "deu"), "gl": ("Galician", "glg"), "eu": ("Basque", "eus"),
    "oc": ("Occitan", "oci"), "eo": ("Esperanto", "epo"), "nl": ("Dutch", "nld"),
    "ro": ("Romanian", "ron"), "ja": ("Japanese", "jpn"), "zh": ("Chinese", "zho"),
    "ko": ("Korean", "kor"), "ru": ("Russian", "rus"), "uk": ("Ukrainian", "ukr"),
    "pl": ("Polish", "pol"), "sv": ("Swedish", "swe"), "hi": ("Hindi", "hin"),
    "ar": ("Arabic", "ara"), "tr": ("Turkish", "tur"),
}


def base_code(code: str) -> str:
    """'pt-BR' -> 'pt'."""
    return code.split("-")[0].lower()


def language_name(code: str) -> str:
    name = _LANGUAGES.get(base_code(code), (code, ""))[0]
    region = code.split("-", 1)[1] if "-" in code else ""
    return f"{name} ({region})" if region else name


def iso639_3(code: str) -> str:
    return _LANGUAGES.get(base_code(code), ("", base_code(code)))[1]
