"""An app's modules packed in one file, and unpacked beside the entry script in the browser.

PyScript writes each file of its config into MicroPython's file system after one request each;
on a slow link the app's eighteen small `.mpy` files were eighteen requests (each with its
headers and its latency) and compressed worse apart than together. The build (`bundle.pack`)
packs them into one file, each module as a line `<file name> <size in bytes>` followed by its
bytes; the page's entry script holds this module's source and runs `unpack` before importing the
app. Runs on MicroPython (the browser) and CPython (the tests).
"""


def unpack(path: str) -> None:
    """Write every module packed in `path` into the current folder (MicroPython's import path)."""
    with open(path, "rb") as packed:
        data = packed.read()
    at = 0
    while at < len(data):
        end = data.find(b"\n", at)
        name, size = data[at:end].decode().split(" ")
        at = end + 1 + int(size)
        with open(name, "wb") as module:
            module.write(data[end + 1 : at])
