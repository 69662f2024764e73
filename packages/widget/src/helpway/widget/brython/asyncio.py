"""The part of `asyncio` the apps use (`create_task`, `sleep`, `Task.cancel`/`done`), on Brython's
`browser.aio`, which runs a coroutine as a JavaScript promise and cannot interrupt it.

So a cancelled task stops where it next sleeps: `sleep` raises CancelledError in it. Which task
is sleeping is read from the interpreter's frame stack (the task's `_helpway_task` local, found
by `brython_boot.js`'s `helpwayTaskOf`), because Brython keeps one stack per coroutine and
restores it after every await. The apps' loops all sleep, so cancelling them works; a task
cancelled while it awaits a fetch runs on until its next sleep.
"""

from browser import aio, window  # type: ignore[import-not-found]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Coroutine

_MARK = "_helpway_task"


class CancelledError(Exception):
    pass


class Task:
    def __init__(self, coroutine: "Coroutine") -> None:
        self._cancelled = False
        self._done = False
        aio.run(self._run(coroutine))

    async def _run(self, coroutine: "Coroutine") -> None:
        _helpway_task = self  # found by `sleep` through the frame stack
        try:
            await coroutine
        except CancelledError:
            pass
        finally:
            self._done = True

    def cancel(self) -> bool:
        if self._done:
            return False
        self._cancelled = True
        return True

    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._done


def create_task(coroutine: "Coroutine") -> Task:
    return Task(coroutine)


async def sleep(seconds: float) -> None:
    await aio.sleep(seconds)
    task = window.helpwayTaskOf(_MARK)
    if task is not None and task.cancelled():
        raise CancelledError
