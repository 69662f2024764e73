"""The Python apps that run in the browser on MicroPython (PyScript), shipped as flat modules.

Pure modules (`state`, `inbox`, `keyed`, `pacing`, `links`) import nothing and are tested on
CPython and on MicroPython; the others import `js` and run only in the page.
"""
