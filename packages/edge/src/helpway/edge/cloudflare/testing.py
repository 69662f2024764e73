"""A Worker `env` for CPython tests: the binding doubles of the other packages, plus Durable
Object namespaces whose stubs call objects in this process.

A namespace double answers `getByName(name)` with a stub, one object per name, made on first
use by `make(name)`. A stub's RPC methods take JS-sendable arguments only, as the SDK's
`python_to_rpc` does (Helpway passes strings and numbers), and are awaited like the real ones:
over RPC every method returns a promise, whether the object's method is async or not.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from helpway.knowledge.cloudflare.testing import FakeVectorize, FakeWorkersAI
from helpway.rooms.cloudflare.ratelimit import BucketObject
from helpway.rooms.cloudflare.testing import FakeDurableObjectState
from helpway.store.cloudflare.testing import FakeD1, to_js_value


class FakeStub:
    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)

        async def call(*args: Any) -> Any:
            for arg in args:
                to_js_value(arg)
            result = method(*args)
            return await result if inspect.isawaitable(result) else result

        return call


class FakeNamespace:
    def __init__(self, make: Callable[[str], Any]) -> None:
        self._make = make
        self.objects: dict[str, Any] = {}

    def getByName(self, name: str) -> FakeStub:
        if name not in self.objects:
            self.objects[name] = self._make(name)
        return FakeStub(self.objects[name])


class FakeLimiterNamespace(FakeNamespace):
    """`LIMITER`: one `BucketObject` per key, each on a Durable Object state of its own.
    `evict()` drops every instance and keeps their storage, as the runtime does to objects left
    idle: a send bucket is forgotten (a full one), a login bucket is read back."""

    def __init__(self, clock: Callable[[], int]) -> None:
        super().__init__(lambda name: BucketObject(clock, self.state(name).storage))
        self.states: dict[str, FakeDurableObjectState] = {}

    def state(self, name: str) -> FakeDurableObjectState:
        if name not in self.states:
            self.states[name] = FakeDurableObjectState()
        return self.states[name]

    def evict(self) -> None:
        self.objects.clear()


class FakeRoomNamespace:
    """`ROOMS`: one Durable Object state per conversation id, kept as its storage and sockets
    are; each stub reaches a new object instance on that state (as after hibernation, which
    the runtime may do between any two calls). `make(state)` builds an instance."""

    def __init__(self, folder: Path, make: Callable[[FakeDurableObjectState], Any]) -> None:
        self._folder = folder
        self._make = make
        self.states: dict[str, FakeDurableObjectState] = {}

    def state(self, name: str) -> FakeDurableObjectState:
        if name not in self.states:
            path = self._folder / f"room-{len(self.states)}.sqlite"
            self.states[name] = FakeDurableObjectState(path)
        return self.states[name]

    def getByName(self, name: str) -> FakeStub:
        return FakeStub(self._make(self.state(name)))


class FakeAssetResponse:
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self._body = body

    async def text(self) -> str:
        return self._body


class FakeAssets:
    """The static-assets binding (`env.ASSETS`): `fetch(url)` answers a file of the build
    folder by the URL's path, 404 for a missing one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def fetch(self, url: str) -> FakeAssetResponse:
        path = self.folder / urlsplit(url).path.lstrip("/")
        if not path.is_file():
            return FakeAssetResponse(404, "")
        return FakeAssetResponse(200, path.read_text("utf-8"))


class FakeEnv:
    """`env` with the bindings of wrangler.toml: DB, AI, VECTORIZE, INBOX, LIMITER, ROOMS,
    ASSETS (and vars)."""

    def __init__(
        self,
        db: FakeD1,
        ai: FakeWorkersAI,
        vectorize: FakeVectorize,
        inbox: FakeNamespace | None = None,
        limiter: FakeNamespace | None = None,
        rooms: FakeNamespace | FakeRoomNamespace | None = None,
        assets: FakeAssets | None = None,
        **variables: str,
    ) -> None:
        self.DB = db
        self.AI = ai
        self.VECTORIZE = vectorize
        if inbox is not None:
            self.INBOX = inbox
        if limiter is not None:
            self.LIMITER = limiter
        if rooms is not None:
            self.ROOMS = rooms
        if assets is not None:
            self.ASSETS = assets
        for name, value in variables.items():
            setattr(self, name, value)
