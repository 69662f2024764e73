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
from typing import Any

from helpway.knowledge.cloudflare.testing import FakeVectorize, FakeWorkersAI
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


class FakeEnv:
    """`env` with the bindings of wrangler.toml: DB, AI, VECTORIZE, INBOX, LIMITER (and
    vars)."""

    def __init__(
        self,
        db: FakeD1,
        ai: FakeWorkersAI,
        vectorize: FakeVectorize,
        inbox: FakeNamespace | None = None,
        limiter: FakeNamespace | None = None,
        **variables: str,
    ) -> None:
        self.DB = db
        self.AI = ai
        self.VECTORIZE = vectorize
        if inbox is not None:
            self.INBOX = inbox
        if limiter is not None:
            self.LIMITER = limiter
        for name, value in variables.items():
            setattr(self, name, value)
