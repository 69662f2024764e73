"""The modules PyScript gives the apps, for Brython: the widget's app modules run unchanged on it.

Shipped flat beside the app modules in Brython's virtual files (see `bundle.brython_modules`),
so `import js`, `from jsffi import create_proxy`, `from polyscript import js_modules`,
`import asyncio` and `import json` find these instead of what PyScript and MicroPython have.
Browser-only, Brython-only: they import Brython's `browser` and `javascript`.
"""
