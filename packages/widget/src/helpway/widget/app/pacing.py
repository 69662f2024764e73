"""How often the apps retry and signal: reconnect backoff and the typing indicator we send.

Pure functions of the clock (milliseconds) so tests can drive them without waiting.
"""

RECONNECT_BASE_MS = 500
RECONNECT_MAX_MS = 30000
# While keys keep coming we repeat "typing" this often (the other side forgets a typist who
# has been silent for `state.TYPING_TTL_MS`)…
TYPING_REPEAT_MS = 3000
# …and say "stopped" after this long without a keystroke.
TYPING_IDLE_MS = 4000


def reconnect_delay_ms(attempt: int, jitter: float) -> int:
    """Delay before reconnect attempt `attempt` (0 for the first), `jitter` in [0, 1).

    Exponential with full-range jitter between half and all of the step, so a server restart
    does not get every widget back in the same instant.
    """
    step = RECONNECT_BASE_MS * (1 << min(attempt, 16))
    if step > RECONNECT_MAX_MS:
        step = RECONNECT_MAX_MS
    return int(step / 2 + step / 2 * jitter)


class TypingSignal:
    """Decides when to send `typing` frames for our own keystrokes.

    Each method returns True (send active=true), False (send active=false) or None (send
    nothing).
    """

    def __init__(self) -> None:
        self.active = False
        self._sent_at = 0
        self._key_at = 0

    def keystroke(self, now_ms: int, has_text: bool) -> bool | None:
        if not has_text:
            return self.stop()
        self._key_at = now_ms
        if self.active and now_ms - self._sent_at < TYPING_REPEAT_MS:
            return None
        self.active = True
        self._sent_at = now_ms
        return True

    def tick(self, now_ms: int) -> bool | None:
        """Call now and then; says "stopped" once keys have been quiet long enough."""
        if self.active and now_ms - self._key_at >= TYPING_IDLE_MS:
            return self.stop()
        return None

    def stop(self) -> bool | None:
        """The message was sent or the text cleared."""
        if not self.active:
            return None
        self.active = False
        return False
