"""PyScript's `js`: the page's global scope, attribute by attribute (`js.document`, `js.fetch`,
`js.Date.new(...)`, globals the page defines such as `helpwayTell`)."""

from browser import window  # type: ignore[import-not-found]


def __getattr__(name: str) -> object:
    return getattr(window, name)
