"""The languages a site may choose (the REST body's `Language`) are exactly those the widget has
strings for. CPython only: it reads the pydantic model."""

from typing import get_args

from helpway.shared import rest
from helpway.widget.app import i18n


def test_sites_choose_among_exactly_the_languages_the_widget_speaks() -> None:
    assert set(get_args(rest.Language)) == set(i18n.CATALOGUES)
    assert set(i18n.RTL) <= set(i18n.CATALOGUES)
