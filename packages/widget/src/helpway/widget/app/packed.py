"""An app's modules packed in one file, unpacked beside the entry script in the browser and
imported a slice at a time.

PyScript writes each file of its config into MicroPython's file system after one request each;
on a slow link the app's eighteen small `.mpy` files were eighteen requests (each with its
headers and its latency) and compressed worse apart than together. The build (`bundle.pack`)
packs them into one file, each module as a line `<file name> <size in bytes>` followed by its
bytes; the page's entry script holds this module's source and runs `load`, which unpacks them,
then imports them a slice at a time, the app's entry module last. Runs on MicroPython (the
browser) and CPython (the tests).
"""

import asyncio
import time


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


async def load(path: str, modules: tuple, slice_ms: int) -> None:
    """Unpack `path` and import `modules` in order (the app's entry module last), in tasks of
    their own: the browser gets the thread back first (what PyScript ran before this script was
    one task), then before an import whenever this has run for `slice_ms`. Done at once,
    starting an app is one long task on a cold page (MicroPython's WebAssembly compiles each
    function the first time it runs), and on phones, which do not isolate sites, the frame
    shares that thread with the host page."""
    await asyncio.sleep(0)
    began = time.time_ns()
    unpack(path)
    for module in modules:
        if time.time_ns() - began >= slice_ms * 1_000_000:
            await asyncio.sleep(0)
            began = time.time_ns()
        __import__(module)
