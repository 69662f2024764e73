"""The visitor's chat widget: session, conversation socket and panel, on MicroPython in the frame.

Flow: the loader drew the launcher on the host page and frames `frame.html` (the edge's
origin), whose static panel shows at once; `frame.js` keeps its `<body>` in step with the loader
(`open`, `data-site`, `data-page`, "helpway:open") and this app adopts the panel. A new visitor
is made only when they open the panel; a returning one (a visitor token in storage, or the
edge's cookie where storage is refused, below) reconnects at once, so replies that came while
they were away are there and one that comes while the panel is closed is an unread badge.
Connecting is `POST /api/visitor/session` (same visitor and open conversation for a known
token), then the conversation socket: `join` with the token and the last seq we hold; the room
replies `welcome`, the log after that seq, then live frames. A page load starts from seq 0, so
history comes back after a reload, each entry once.

Tabs of one browser share the visitor: a tab without a token asks for the first one while it
holds a lock shared by the site's frames (`bridge.hold`), so two tabs opened at once make one
visitor; the one that waited asks with the token the other stored and joins the same
conversation.

What the visitor sent that the room has not acked yet is kept in storage with its `client_id`
(the frame's localStorage, on the edge's origin; in memory if the browser refuses storage): a
reload draws it "Sending…" again and resends it once joined, and the room drops a copy it
already has. Where the browser refuses the frame storage (a frame of another site than the
page, with third-party storage blocked), the visitor is still known after a reload: the edge
keeps the token in a partitioned, HttpOnly cookie of its own that the session request carries
(see the edge's visitor routes), so only what was not yet sent is lost. Such a frame cannot
tell a returning visitor from a stranger, so on each page load it asks the edge to resume
only (`resume_only`): the cookie's visitor gets their session and the frame reconnects as with
a stored token; a stranger gets a 204 and no visitor is made until they open the panel.

The host page's `Helpway("identify", …)` and `Helpway("reset")` reach us through
`frame.js` (`data-user`, `data-reset`, "helpway:identify" and "helpway:reset"): a new identity
or a reset starts over with another visitor. New messages are told to the host page
(`helpwayTell`, from `frame.js`) for its `message` and `unread` events.

The site's config (theme, languages, business hours decided by the edge) comes with the session,
and before that inlined in the loader the edge served for the site (frame.js puts it on `<body>`
as `data-config`; no request), or, for a page that pasted the plain loader, from
`GET /api/visitor/config` as soon as the app runs, so the panel greets in the visitor's
language before anyone opens it. The launcher
lives on the host page: its look goes out as `<body>` attributes that `frame.js` passes on.
The config also says whether an agent of the site is online (`agents_online`, see `team`), so
it is read again each time the panel opens again, and on the first opening when what the page
has is over `CONFIG_FRESH_MS` old: one cheap GET, no visitor made, and no socket of its own for
something that changes on the scale of minutes. A first opening right after the session came
takes the session's config (a second read then told nothing new).

A closed conversation stays the visitor's (the closed-conversation policy): after a reload the
session hands back the same one, the subtitle says it is closed, and the composer stays on,
because the visitor's next message reopens it. While it is closed and unrated the panel asks for
a rating (`csat`); the rating goes out as `rating.send` and, like a message, is resent with its
`client_id` after a reconnect until the room acks or refuses it (the room takes one rating per
conversation, so a resend never counts twice). It is kept in memory only: a reload before the
ack asks again, and the room refuses a second rating if the first had landed.
"""

import asyncio
import json

import chat_dom
import csat
import drafts
import i18n
import js
import launcher
import pacing
import state
import team
import transport
import widget_view
from jsffi import create_proxy

# Statuses whose subtitle says we are not connected (the i18n key of each subtitle).
_OFFLINE = {"connecting": "connecting", "retrying": "reconnecting"}
# Statuses after which the chat cannot work on this page (the edge refused the site or this
# page's origin, or speaks a newer protocol): the header says so, the composer is off, and no
# message waits to be sent.
_ENDED = {"unavailable": "unavailable", "unsupported": "reload"}
# How long a tab without a visitor token waits for another tab of the browser asking for the
# first one (`bridge.hold`), before it asks itself.
FIRST_TOKEN_WAIT_MS = 10000
# A config read this recently (with the session, or inlined in the page's loader) is taken as
# it is when the panel first opens; an older one, or any reopening, is read again.
CONFIG_FRESH_MS = 30000
# How the next opening is shown, in the visitor's own time zone: "Mon 09:00".
_WHEN = '{"weekday": "short", "hour": "2-digit", "minute": "2-digit"}'


class WidgetApp:
    def __init__(self, host: js.Element) -> None:
        self.host = host
        self.site = str(host.getAttribute("data-site") or "")
        self.origin = str(host.getAttribute("data-api") or js.location.origin)
        self.page_url = str(host.getAttribute("data-page") or js.location.href)
        self.store = transport.bridge.storage("localStorage")
        self.token_key = "helpway:" + self.site + ":visitor"
        self.outbox_key = "helpway:" + self.site + ":outbox"
        self._saved_outbox = ""  # what storage holds under `outbox_key`
        self.user = _identity(host)  # {"user_id", "user_hash"} from identify, or {}
        self.conversation = state.Conversation()
        self.look = chat_dom.Look(self.conversation, "visitor", self.origin)
        self.look.on_retry = self.retry
        self.typing_signal = pacing.TypingSignal()
        self.view: widget_view.WidgetView | None = None
        self.channel: transport.Channel | None = None
        self.session: dict | None = None
        self.config: dict | None = None
        self.config_at = 0  # when `config` was read (ms since the epoch)
        # Until the site's config says which it allows: the browser's, as the shell guessed.
        self.lang = i18n.negotiate(_browser_languages(), list(i18n.CATALOGUES), i18n.DEFAULT)
        self.look.lang = self.lang
        self.status = "idle"
        self.problem = ""  # an i18n key, "" for none
        self.sent = 0
        self._connect_task: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None
        self._config_task: asyncio.Task | None = None
        self._email_task: asyncio.Task | None = None
        self._forgetting: asyncio.Task | None = None
        self._page_task: asyncio.Task | None = None

    def start(self) -> None:
        self.host.addEventListener("helpway:open", create_proxy(self._opened))
        self.host.addEventListener("helpway:identify", create_proxy(self._identified))
        self.host.addEventListener("helpway:reset", create_proxy(self._reset))
        self.host.addEventListener("helpway:page", create_proxy(self._moved))
        if self.host.hasAttribute("data-reset"):  # reset before we were ready
            self._forget()
        self._restore_outbox()
        inlined = _inlined_config(self.host)
        if inlined is not None:
            self._apply_config(inlined)
        self.host.setAttribute("data-ready", "")
        if self.host.hasAttribute("open"):
            self._opened(None)
        else:
            self._connect_if_known()
        if inlined is None:
            self._config_task = asyncio.create_task(self._load_config())
        self._ticker = asyncio.create_task(self._tick())

    def _connect_if_known(self) -> None:
        """A returning visitor, or messages waiting from the last page: connect now. Where the
        browser refuses the frame storage the frame cannot tell whether the visitor is known,
        so it asks the edge to resume only: the edge's cookie may name them (`_post_session`)."""
        known = self.store.get(self.token_key) or self.conversation.outbox()
        if known or not self.store.persistent:
            self.connect_soon()

    def _wants_chat(self) -> bool:
        """The visitor opened the panel or has something to send: a session without a token
        may start a new visitor. Otherwise it may only resume one (a stranger's page view makes
        no visitor)."""
        return bool(self.host.hasAttribute("open")) or bool(self.conversation.outbox())

    def _opened(self, _event: object) -> None:
        first_open = self.view is None
        if self.view is None:
            panel = js.document.querySelector(".hw-panel")
            self.view = widget_view.WidgetView(panel, self.look, self)
            self.view.apply_language(self.lang)
            self.view.show_problem(self._t(self.problem) if self.problem else "")
            if self.config is not None:
                self._apply_config(self.config)
            if self.host.hasAttribute("data-queued"):  # sent before Python was ready
                self._send_queued(self.view)
        self.render()
        self.view.scroll_to_end()
        stale = transport.now_ms() - self.config_at >= CONFIG_FRESH_MS
        if self.session is not None and (stale or not first_open):  # is the team still in?
            self._config_task = asyncio.create_task(self._load_config(fresh=True))
        self.connect_soon()

    def _send_queued(self, view: widget_view.WidgetView) -> None:
        """What frame.js took while Python loaded goes now, each message on its own and in
        order, through the box's own checks: one refused as it is (too long) comes back to the
        box, with what was being written there, to be shortened."""
        draft = str(view.input.value)
        refused = []
        for text in _queued(self.host):
            view.input.value = text
            view.submit()
            if str(view.input.value):
                refused.append(text)
        self.host.removeAttribute("data-queued")
        view.input.value = "\n".join(refused + ([draft] if draft else []))
        if refused:  # only length refuses a draft, so this longer text is refused too: said
            view.submit()

    # ------------------------------------------------------------------ visitor changes

    def _moved(self, _event: object) -> None:
        """A single-page app went to another of its pages: the next session says so, and a
        visitor already known tells the edge now (the agents' context panel shows it)."""
        self.page_url = str(self.host.getAttribute("data-page") or self.page_url)
        if self.session is not None:
            self._page_task = asyncio.create_task(self._tell_page(self.session["visitor_token"]))

    async def _tell_page(self, token: str) -> None:
        body = {"page_url": self.page_url[:2048]}
        await transport.request("POST", self.origin + "/api/visitor/page", body, token)

    def _identified(self, _event: object) -> None:
        user = _identity(self.host)
        if user != self.user:
            self.user = user
            self._start_over()

    def _reset(self, _event: object) -> None:
        """`Helpway("reset")` (a shared browser): forget this visitor; the next open starts a
        new anonymous one."""
        self._forget()
        self.user = _identity(self.host)
        self._start_over()

    def _forget(self) -> None:
        self.host.removeAttribute("data-reset")
        self.store.remove(self.token_key)
        self.store.remove(self.outbox_key)
        self._saved_outbox = ""
        self._forgetting = asyncio.create_task(self._forget_cookie())

    async def _forget_cookie(self) -> None:
        """The edge's copy of the token (a partitioned cookie, for a frame the browser refuses
        storage): gone before the next session, or that session would resume this visitor.
        Then the reset is done, storage and cookie: the loader, which keeps it in the host
        page's storage for the next page's frame until then, may let it go. (A page that
        resets and navigates at once goes away before this, often before we heard of it.)"""
        query = "?site_id=" + str(js.encodeURIComponent(self.site))
        status, _ = await transport.request("DELETE", self.origin + "/api/visitor/session" + query)
        if status == 204:
            js.helpwayTell(json.dumps({"helpway": "forgot"}))

    def _start_over(self) -> None:
        """Drop the socket, the session and what is drawn, then connect as the visitor we now
        are (a visitor is tied to one identity: the edge gives another one another visitor)."""
        if self.channel is not None:
            self.channel.stop()
            self.channel = None
        if self._connect_task is not None:
            self._connect_task.cancel()
            self._connect_task = None
        self.session = None
        self.status = "idle"
        self.conversation = state.Conversation()
        self.look.conversation = self.conversation
        self.look.on_retry = self.retry
        self._show_problem("")
        if self.view is not None:
            self.view.items.clear()
        self._restore_outbox()
        self.changed()
        if self.host.hasAttribute("open"):
            self.connect_soon()
        else:
            self._connect_if_known()

    def _restore_outbox(self) -> None:
        saved = str(self.store.get(self.outbox_key) or "")
        try:
            records = json.loads(saved) if saved else None
        except ValueError:  # cut short: nothing to resend
            records = None
        self.conversation.restore_outbox(records)
        self._saved_outbox = saved

    # ------------------------------------------------------------------ connecting

    def connect_soon(self) -> None:
        """Start connecting unless connected, already on the way, or the chat has ended."""
        if self.status in _ENDED or self.channel is not None:
            return
        if self._connect_task is None or self._connect_task.done():
            self._connect_task = asyncio.create_task(self._connect())

    async def _connect(self) -> None:
        if self._forgetting is not None:
            await self._forgetting
            self._forgetting = None
        self.session = await self._start_session()
        if self.session is None:
            return
        self._apply_config(self.session["config"])
        path = "/ws/conversations/" + self.session["conversation_id"]
        self.channel = transport.Channel(
            transport.socket_url(self.origin, path), self._join, self._frame, self._status
        )
        self.channel.start()

    async def _start_session(self) -> dict | None:
        attempt = 0
        while True:
            token, status, data = await self._ask_session()
            if status == 200 and _is_session(data):
                self._show_problem("")
                return data
            if status == 204:  # asked to resume only, and the edge knows no visitor of ours
                if self._wants_chat():  # the panel opened meanwhile: ask to start one
                    continue
                return None
            if token and 400 <= status < 500:  # a token the edge no longer knows: start afresh
                self.store.remove(self.token_key)
                continue
            if 400 <= status < 500:
                # The visitor is told the chat is unavailable; the page's developer, why (an
                # identify the edge refuses, such as a user_hash that is not 64 hex digits).
                if isinstance(data, dict):
                    js.console.warn(
                        "helpway: the chat refused the visitor session:",
                        str(data.get("code")),
                        str(data.get("message")),
                    )
                self._end("unavailable", "not_on_site")
                return None
            self._show_problem("cant_reach")
            await asyncio.sleep(pacing.reconnect_delay_ms(attempt, float(js.Math.random())) / 1000)
            attempt += 1

    async def _ask_session(self) -> tuple:
        """`POST /api/visitor/session` with the token we hold, if any: (token sent, status,
        body). Without one, the tabs of this browser ask one at a time (`bridge.hold`): a tab
        that waited finds the token the first one stored and asks with it, so tabs opened at
        once share one visitor and conversation, and each shows the other's messages live."""
        if self.store.get(self.token_key):
            return await self._post_session()
        release = await transport.bridge.hold(self.token_key, FIRST_TOKEN_WAIT_MS)
        try:
            return await self._post_session()
        finally:
            release()

    async def _post_session(self) -> tuple:
        token = self.store.get(self.token_key)
        body: dict = {
            "site_id": self.site,
            "page_url": self.page_url[:2048],
            "locale": str(js.navigator.language or "")[:35] or None,
            "time_zone": _time_zone(),
        }
        body.update(self.user)
        if token:
            body["visitor_token"] = token
        elif not self._wants_chat():
            body["resume_only"] = True
        status, data = await transport.request("POST", self.origin + "/api/visitor/session", body)
        if status == 200 and _is_session(data):  # stored before another tab may read it
            self.store.set(self.token_key, data["visitor_token"])
        return token, status, data

    async def _load_config(self, fresh: bool = False) -> None:
        """The site's config before any session; the session's, when it comes, wins. A refusal
        says nothing here: the session decides whether the chat is available. `fresh`: read
        again on opening the panel, newer than the session's (the team's presence, the hours'
        decision), so it wins."""
        query = "?site_id=" + str(js.encodeURIComponent(self.site))
        query += "&page_url=" + str(js.encodeURIComponent(self.page_url[:2048]))
        status, data = await transport.request("GET", self.origin + "/api/visitor/config" + query)
        if status == 200 and isinstance(data, dict) and (fresh or self.session is None):
            self._apply_config(data)

    def _apply_config(self, config: dict) -> None:
        self.config = config
        self.config_at = transport.now_ms()
        lang = i18n.negotiate(
            _browser_languages(),
            config.get("languages") or [],
            config.get("default_language") or "",
        )
        changed = lang != self.lang
        self.lang = self.look.lang = lang
        color = launcher.accent(config.get("color"))
        if color:
            self.host.style.setProperty("--hw-accent", color)
        # The launcher's look in the language we speak, passed on to the loader by frame.js.
        look = launcher.look(config, self._t("open_chat"))
        self.host.setAttribute("data-look", json.dumps(look))
        self.look.assistant_name = config.get("assistant_name") or self._t("assistant")
        greeting = config.get("greeting") or ""
        if self.status not in _ENDED:  # a chat that cannot work greets nobody
            self.conversation.set_greeting(i18n.site_text(config.get("greetings"), lang, greeting))
        if self.view is not None:
            if changed:
                self.view.apply_language(lang)
                self.view.show_problem(self._t(self.problem) if self.problem else "")
            self.view.set_title(config.get("title") or self._t("panel_title"))
            self.view.set_avatar(str(config.get("avatar_url") or ""))
            self.view.show_away(self._away())
            self._show_team()
        self.changed()

    def _show_team(self) -> None:
        """Whether someone usually replies soon; while no agent is online, the away box."""
        assert self.view is not None
        availability = team.availability(self.config)
        soon = self._t("reply_soon") if availability == team.ONLINE else ""
        self.view.show_team(availability, soon)

    def _away(self) -> dict | None:
        """What the panel says outside business hours, or inside them while no agent is online
        (leave a message, the assistant helps meanwhile); None while the team is in, or when
        the chat cannot work here at all."""
        if self.status in _ENDED:
            return None
        config = self.config
        availability = team.availability(config)
        if availability == team.AWAY:
            message = self._t("team_away", {"name": self.look.assistant_name})
            return {"message": message, "back": "", "email": False, "human": True}
        if config is None or availability != team.CLOSED:
            return None
        next_open = config.get("next_open_at")
        back = ""
        if isinstance(next_open, int):
            date = js.Date.new(float(next_open))  # a float: see chat_dom.clock
            when = date.toLocaleString(self.lang, js.JSON.parse(_WHEN))
            back = self._t("back_at", {"when": str(when)})
        return {
            "message": i18n.site_text(config.get("away_messages"), self.lang, self._t("away")),
            "back": back,
            "email": bool(config.get("collect_email")),
        }

    def _t(self, key: str, params: dict | None = None) -> str:
        return i18n.text(self.lang, key, params)

    def _join(self) -> dict:
        assert self.session is not None
        return transport.join_frame(self.session["visitor_token"], self.conversation.last_seq)

    def _status(self, status: str) -> None:
        if status == "unsupported":
            self._end(status, "updated")
            return
        self.status = status
        if status in _OFFLINE:
            self.conversation.disconnected()
        if status == "unauthorized":  # the token expired or the visitor was removed
            self.store.remove(self.token_key)
            self.channel = None
            self.connect_soon()
        self.changed()

    def _end(self, status: str, problem: str) -> None:
        """The chat cannot work on this page: say so (`problem`, an i18n key) once,
        everywhere, and keep nothing "sending" that never will be."""
        self.status = status
        self.conversation.disconnected()
        self.conversation.fail_outbox(status)
        self.look.on_retry = None
        self.conversation.set_greeting("")
        if self.view is not None:
            self.view.show_away(None)
        self._show_problem(problem)
        self.changed()

    def _frame(self, frame: dict) -> None:
        changed = self.conversation.apply(frame, transport.now_ms())
        kind = frame["type"]
        if kind == "welcome":
            for pending in self.conversation.outbox():
                self._send_pending(pending)
            self._send_rating()
        elif kind == "error" and not frame.get("client_id"):
            js.console.warn("helpway: the chat refused a frame:", frame["code"], frame["message"])
        if changed:
            self.changed()

    # ------------------------------------------------------------------ actions from the view

    def send(self, text: str) -> None:
        self.sent += 1
        client_id = state.new_client_id(
            transport.now_ms(), int(transport.bridge.entropy()), self.sent
        )
        self.conversation.add_pending(client_id, text)
        if self.status in _ENDED:  # typed before the app knew (queued while it was loading)
            self.conversation.fail_outbox(self.status)
        self.typing_signal.stop()  # the room clears our typing when the message lands
        self.changed()
        for pending in self.conversation.outbox():
            if pending["client_id"] == client_id:
                self._send_pending(pending)
        self.connect_soon()

    def retry(self, client_id: str) -> None:
        if self.status not in _ENDED and self.conversation.retry(client_id):
            self.changed()
            for pending in self.conversation.outbox():
                if pending["client_id"] == client_id:
                    self._send_pending(pending)

    def rate(self, score: int, comment: str) -> None:
        """The visitor's rating of the closed conversation (checked by the view: `csat`)."""
        if self.status in _ENDED or not self.conversation.can_rate():
            return
        self.sent += 1
        client_id = state.new_client_id(
            transport.now_ms(), int(transport.bridge.entropy()), self.sent
        )
        self.conversation.add_rating(client_id, score, comment)
        self._send_rating()
        self.changed()
        self.connect_soon()

    def _send_rating(self) -> None:
        sent = self.conversation.rating_outbox()
        if sent is not None and self.channel is not None and self.conversation.joined:
            frame = csat.rating_frame(sent["client_id"], sent["score"], sent["comment"])
            self.channel.send(frame)

    def request_human(self) -> None:
        if self.channel is not None and self.conversation.can_request_human():
            self.channel.send({"type": "handoff.request"})

    def leave_email(self, address: str) -> None:
        self._email_task = asyncio.create_task(self._leave_email(address))

    async def _leave_email(self, address: str) -> None:
        if self.view is None:
            return
        at = address.find("@")
        if at < 1 or "." not in address[at:] or " " in address:
            self.view.email_status(self._t("email_invalid"), False)
            return
        status = 0
        if self.session is not None:
            status, _data = await transport.request(
                "POST",
                self.origin + "/api/visitor/email",
                {"email": address},
                self.session["visitor_token"],
            )
        if status == 204:
            self.view.email_status(self._t("email_saved", {"email": address}), True)
        elif status == 422:
            self.view.email_status(self._t("email_invalid"), False)
        else:
            self.view.email_status(self._t("email_failed"), False)

    def typed(self, has_text: bool) -> None:
        self._signal(self.typing_signal.keystroke(transport.now_ms(), has_text))

    def _send_pending(self, pending: dict) -> None:
        if self.channel is not None and self.conversation.joined:
            self.channel.send(drafts.send_frame(pending["client_id"], pending["text"]))

    def _signal(self, active: bool | None) -> None:
        if active is not None and self.channel is not None and self.conversation.joined:
            self.channel.send({"type": "typing", "active": active})

    # ------------------------------------------------------------------ drawing

    def changed(self) -> None:
        """After every change of state: keep the outbox for the next page, tell the host page
        what is new, and redraw."""
        saved = self.conversation.saved_outbox()
        text = json.dumps(saved) if saved else ""
        if text != self._saved_outbox:
            self._saved_outbox = text
            if text:
                self.store.set(self.outbox_key, text)
            else:
                self.store.remove(self.outbox_key)
        for frame in self.conversation.take_news():
            news = {
                "id": frame["id"],
                "seq": frame["seq"],
                "role": frame["author"]["role"],
                "name": frame["author"].get("name") or "",
                "text": frame["text"],
            }
            js.helpwayTell(json.dumps({"helpway": "message", "message": news}))
        self.render()

    def render(self) -> None:
        if self.view is not None:
            available = self.status not in _ENDED
            self.view.render(self.conversation, self._subtitle(), transport.now_ms(), available)

    def _subtitle(self) -> str:
        if self.status in _ENDED:
            return self._t(_ENDED[self.status])
        if self.status in _OFFLINE or self.channel is None:
            return self._t(_OFFLINE.get(self.status, "connecting"))
        if self.conversation.status == "closed":
            return self._t("closed_sub")
        if self.conversation.human_joined:
            return self._t("with_team")
        if self.conversation.handoff_requested:
            return self._t("waiting_team")
        return self._t("answers_now", {"name": self.look.assistant_name})

    def _show_problem(self, key: str) -> None:
        """`key`: the i18n key of the notice, "" for none."""
        self.problem = key
        if self.view is not None:
            self.view.show_problem(self._t(key) if key else "")

    async def _tick(self) -> None:
        """Once a second: say we stopped typing, and let stale typing indicators expire."""
        while True:
            await asyncio.sleep(1)
            self._signal(self.typing_signal.tick(transport.now_ms()))
            if self.view is not None and self.conversation.joined:
                self.render()


def _browser_languages() -> list:
    languages = js.navigator.languages
    return [str(languages[i]) for i in range(int(languages.length))]


def _inlined_config(host: js.Element) -> dict | None:
    """The site's config the edge inlined in the loader it served for the site (`data-config`,
    put there by frame.js from the frame's address): no request for it. None when the page
    pasted the plain loader, which carries none (then the app asks the edge)."""
    saved = str(host.getAttribute("data-config") or "")
    try:
        config = json.loads(saved) if saved else None
    except ValueError:
        return None
    return config if isinstance(config, dict) else None


def _queued(host: js.Element) -> list:
    """The texts frame.js kept, in order (`data-queued`, a JSON list)."""
    try:
        texts = json.loads(str(host.getAttribute("data-queued") or "[]"))
    except ValueError:
        return []
    return [t for t in texts if isinstance(t, str)] if isinstance(texts, list) else []


def _is_session(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    for key in ("visitor_id", "visitor_token", "conversation_id"):
        if not isinstance(data.get(key), str) or not data[key]:
            return False
    return isinstance(data.get("config"), dict)


def _identity(host: js.Element) -> dict:
    """The identity `frame.js` holds for the host page's `identify` (JSON in `data-user`):
    what the visitor session request carries."""
    raw = host.getAttribute("data-user")
    try:
        user = json.loads(str(raw)) if raw else {}
    except ValueError:
        user = {}
    out = {}
    if isinstance(user, dict):
        for key in ("user_id", "user_hash"):
            if isinstance(user.get(key), str) and user[key]:
                out[key] = user[key]
    return out


def start() -> WidgetApp:
    host = js.document.body
    app = WidgetApp(host)
    app.start()
    return app


_ZONE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/"


def _time_zone() -> str | None:
    """The browser's IANA time zone, for the agents' view of the visitor's local time; None
    unless it is a plain zone name, because the edge refuses a session carrying anything else
    (a zone it does not know too: "Etc/Unknown" is what a browser says that cannot tell)."""
    zone = str(transport.bridge.timeZone())
    plain = 0 < len(zone) <= 64 and all(char in _ZONE_CHARS for char in zone)
    return zone if plain and zone != "Etc/Unknown" else None
