"""The widget's UI strings: every catalogue complete, the language a visitor gets, RTL.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import drafts, i18n
except ImportError:  # MicroPython: the app modules sit flat on the path
    import drafts
    import i18n

REQUIRED = ("en", "es", "id", "pt", "th", "ar", "he")


def placeholders(phrase):
    found = []
    rest = phrase
    while "{" in rest:
        rest = rest[rest.index("{") + 1 :]
        found.append(rest[: rest.index("}")])
    return sorted(found)


def test_every_catalogue_has_every_key_and_the_same_placeholders():
    english = i18n.CATALOGUES["en"]
    for lang in REQUIRED:
        catalogue = i18n.CATALOGUES[lang]
        assert sorted(catalogue) == sorted(english), lang
        for key in english:
            phrase = catalogue[key]
            assert phrase.strip(), (lang, key)
            assert placeholders(phrase) == placeholders(english[key]), (lang, key)


def test_translations_are_not_english_left_in_place():
    english = i18n.CATALOGUES["en"]
    for lang in REQUIRED:
        if lang == "en":
            continue
        same = [key for key in english if i18n.CATALOGUES[lang][key] == english[key]]
        assert same == [] or same == ["chat_label"], (lang, same)  # "Chat" is Spanish too


def test_the_first_browser_language_the_site_allows_wins():
    allowed = ["en", "es", "pt"]
    assert i18n.negotiate(["es-MX", "en-US"], allowed, "en") == "es"
    assert i18n.negotiate(["fr-FR", "pt-BR", "es"], allowed, "en") == "pt"
    assert i18n.negotiate(["PT_br"], allowed, "en") == "pt"


def test_a_language_the_site_does_not_allow_falls_back_to_the_site_default():
    assert i18n.negotiate(["th-TH"], ["es", "en"], "es") == "es"
    assert i18n.negotiate([], ["id", "en"], "id") == "id"
    assert i18n.negotiate(["es"], ["en"], "xx") == "en"  # never a language without strings


def test_legacy_codes_are_understood():
    assert i18n.negotiate(["iw-IL"], ["en", "he"], "en") == "he"
    assert i18n.negotiate(["in"], ["en", "id"], "en") == "id"


def test_arabic_and_hebrew_are_right_to_left():
    assert i18n.direction("ar") == "rtl" and i18n.direction("he") == "rtl"
    for lang in ("en", "es", "id", "pt", "th"):
        assert i18n.direction(lang) == "ltr"


def test_text_fills_placeholders_and_unknown_languages_speak_english():
    assert i18n.text("es", "answers_now", {"name": "Ana"}) == "Ana responde al instante"
    assert i18n.text("xx", "send") == "Send"
    assert i18n.names_list("en", ["Ana"]) == "Ana"
    assert i18n.names_list("en", ["Ana", "Ben", "Cy"]) == "Ana, Ben and Cy"
    assert i18n.names_list("es", ["Ana", "Ben"]) == "Ana y Ben"


def test_site_texts_per_language_fall_back():
    greetings = {"es": "¡Hola!", "ar": ""}
    assert i18n.site_text(greetings, "es", "Hi") == "¡Hola!"
    assert i18n.site_text(greetings, "ar", "Hi") == "Hi"  # empty is no text
    assert i18n.site_text(greetings, "pt", "Hi") == "Hi"
    assert i18n.site_text(None, "pt", "Hi") == "Hi"


def test_draft_problems_are_said_in_the_visitors_language():
    too_long = "a" * 4001
    assert drafts.problem(too_long, "es") == (
        "Tu mensaje es demasiado largo: 4001 de 4000 caracteres."
    )
    assert drafts.problem(too_long) == "Your message is too long: 4001 of 4000 characters."
