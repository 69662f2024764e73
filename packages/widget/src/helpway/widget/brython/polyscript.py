"""PyScript's `js_modules`: the JavaScript modules of the app's config, which the frame's
Brython boot (`brython_boot.js`) imported before it started Python."""

from browser import window  # type: ignore[import-not-found]

js_modules = window.helpwayModules
