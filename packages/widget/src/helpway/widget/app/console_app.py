"""The agent console: sign in, a live inbox, and one conversation at a time, on MicroPython.

The inbox is the `GET /api/inbox` snapshot merged with the `inbox.update` frames of `/ws/inbox`
(reloaded whenever that socket (re)opens, so nothing missed while it was down stays missing).
Opening a conversation joins its room with the agent's token from seq 0: the whole history, then
live frames, drawn by the same `state` and `chat_dom` as the widget. Each conversation has its
own outbox: one left while replies are still on their way out (no ack yet, or offline) keeps its
state and socket in the background until the room has acked them all, so they reach the
conversation they were written in, and coming back shows them as they are (sending… or sent).
The agent's actions on it (take over, assign to me / unassign, close / reopen, internal notes)
are frames on that socket; the inbox can be filtered (`inbox.FILTERS`), each filter paged by the
edge. The agent token lives in sessionStorage: it survives a reload of the tab and ends with it.
What the agent has read lives in localStorage (in memory if the browser refuses storage), per
agent, so a reload or a new tab does not mark everything unread again.

The aids around a conversation: search over messages (`GET /api/search`), the visitor's context
(`GET /api/conversations/{id}/visitor`, again whenever the visitor speaks), the site's canned
responses (loaded with each conversation opened, so an admin's changes show), an
AI-suggested draft (`POST /api/conversations/{id}/suggested-reply`, only ever put in the
composer), keyboard shortcuts (`actions`: add a row to `shortcuts.SHORTCUTS` and an entry
here) and, while the tab is hidden, a notification and a chime for visitors' news; clicking
the notification opens its conversation (showing every filter if the one chosen hides it).
Assigning to anyone of the site picks from its team (`GET /api/sites/{id}/team`, loaded with
each conversation opened, like the canned responses).

Presence (`team`): the agent's online / away switch is stored per agent in localStorage and
said on the inbox socket each time it (re)joins; the other tabs of the browser follow a change
through the `storage` event, so one click sets every tab. The team list is the edge's
`presence` frames.
"""

import asyncio
import json

import admin_app
import alerts
import canned_replies
import chat_dom
import console_view
import drafts
import inbox
import js
import pacing
import state
import team
import transport
import wire
import wire_spec
from jsffi import create_proxy

# mypy reads this as true; MicroPython (no `typing`) never runs the import below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

SESSION_KEY = "helpway:agent"
SEEN_KEY = "helpway:seen:"  # + the agent's id
SUMMARY_SPEC = wire_spec.SERVER["inbox.update"]["properties"]["conversation"]
_CONNECTION = {"connecting": "Connecting…", "retrying": "Reconnecting…", "open": ""}


def _quoted(value: object) -> str:
    return str(js.encodeURIComponent(str(value)))


def _cursor_query(cursor: dict | None) -> str:
    """A page cursor (`Inbox.next_page`, a search's next page) as `&name=value` pairs: the
    inbox and the search page alike (the edge's `PageCursor`)."""
    pairs = cursor or {}
    return "".join("&" + name + "=" + _quoted(pairs[name]) for name in sorted(pairs))


class ConsoleApp:
    def __init__(self) -> None:
        self.origin = str(js.location.origin)
        self.store = transport.bridge.storage("sessionStorage")
        self.lasting = transport.bridge.storage("localStorage")
        self._seen_saved = 0  # the inbox's seen_version last stored
        self.agent_session: dict | None = None
        self.inbox = inbox.Inbox()
        # One inbox socket per site of the agent's (on Cloudflare each site's hub is its own
        # object, and the Worker wants `/ws/inbox?site_id=`).
        self.inbox_channels: list[transport.Channel] = []
        self.team = team.Team()
        self.presence = team.ONLINE
        self.conversation: state.Conversation | None = None
        self.channel: transport.Channel | None = None
        # Conversations left with replies not yet acked: id -> (state, channel), see above.
        self.leaving: dict = {}
        self.connection = ""
        self.typing_signal = pacing.TypingSignal()
        self.sent = 0
        self.canned: dict = {}  # site id -> its canned responses
        self.teams: dict = {}  # site id -> its agents, whom a conversation can be assigned to
        self._notified: dict = {}  # conversation id -> the summary a notification was about
        self._search: dict = {}  # the search shown: {"text", "next": query of its next page}
        # What each keyboard shortcut's action does (see `shortcuts`).
        self.actions = {
            "next": lambda: self.step(1),
            "previous": lambda: self.step(-1),
            "reply": self._focus_reply,
            "search": self._focus_search,
            "help": self._show_help,
            "escape": self._escape,
            "takeover": self.take_over,
            "assign": self._choose_assignee,
            "close": self.toggle_close,
        }
        self._aid_tasks: list = []
        self.view = console_view.ConsoleView(js.document, self)
        self.admin = admin_app.AdminPage(self.origin, self._token, self.logout, self._canned_set)
        self._login_task: asyncio.Task | None = None
        self._logout_task: asyncio.Task | None = None
        self._inbox_task: asyncio.Task | None = None
        self._ticker: asyncio.Task | None = None

    def start(self) -> None:
        saved = self.store.get(SESSION_KEY)
        session = None
        if saved:
            try:
                session = json.loads(saved)
            except ValueError:
                session = None
        if isinstance(session, dict) and _is_agent_session(session):
            self._enter(session)
        else:
            self.view.show_login()
        js.window.addEventListener("storage", create_proxy(self._stored_elsewhere))
        transport.bridge.onNotificationClick(create_proxy(self._notification_clicked))
        js.document.body.setAttribute("data-ready", "")
        self._ticker = asyncio.create_task(self._tick())

    # ------------------------------------------------------------------ signing in and out

    def login(self, email: str, password: str) -> None:
        self._login_task = asyncio.create_task(self._login(email, password))

    async def _login(self, email: str, password: str) -> None:
        body = {"email": email, "password": password}
        status, data = await transport.request("POST", self.origin + "/api/agent/login", body)
        if status == 200 and _is_agent_session(data):
            self.store.set(SESSION_KEY, json.dumps(data))
            self._enter(data)
        elif status in (400, 401, 403, 422):
            self.view.login_failed("Wrong email or password.")
        else:
            self.view.login_failed("Can't reach the server. Please try again.")

    def sign_out(self) -> None:
        """Log out: end the session on the server too, so the token is dead wherever it was
        copied; the console leaves at once, whether or not the server hears it."""
        token = self._token()
        self.logout()
        if token:
            self._logout_task = asyncio.create_task(
                transport.request("POST", self.origin + "/api/agent/logout", token=token)
            )

    def logout(self, message: str = "") -> None:
        """Forget the session here (after "Log out", or once the server refused the token)."""
        self._remember_seen()
        self.store.remove(SESSION_KEY)
        self.agent_session = None
        self._leave_conversation()
        for _conversation, channel in self.leaving.values():
            channel.stop()
        self.leaving = {}
        for channel in self.inbox_channels:
            channel.stop()
        self.inbox_channels = []
        self.inbox = inbox.Inbox()
        self.team = team.Team()
        self.view.presence.render([])
        self.view.presence.show(self.presence, False)
        self.canned = {}
        self.teams = {}
        self._notified = {}
        self._search = {}
        self.admin.leave()
        self.view.show_login(message)

    def _enter(self, session: dict) -> None:
        self.agent_session = session
        self.inbox = inbox.Inbox(self._stored_seen(), str(session["agent"].get("id") or ""))
        self.view.render_filters(self.inbox.filter)
        self._seen_saved = self.inbox.seen_version
        self.view.show_desk(session["agent"])
        self.admin.enter()
        self.presence = team.choice(self.lasting.get(self._presence_key()))
        self.view.presence.show(self.presence, True)
        for site_id in session["site_ids"]:
            path = "/ws/inbox?site_id=" + _quoted(site_id)
            channel = transport.Channel(
                transport.socket_url(self.origin, path),
                lambda: transport.join_frame(session["token"], 0),
                self._inbox_frame,
                self._status_of(len(self.inbox_channels)),
                welcomed=False,
            )
            self.inbox_channels.append(channel)
            channel.start()

    def _status_of(self, index: int) -> "Callable":
        """The status callback of inbox socket `index` (a closure per socket, not per loop)."""
        return lambda status: self._inbox_status(index, status)

    def _run(self, job: "Coroutine") -> None:
        """Run a request of the aids; keep only unfinished tasks referenced."""
        self._aid_tasks = [task for task in self._aid_tasks if not task.done()]
        self._aid_tasks.append(asyncio.create_task(job))

    def _token(self) -> str:
        return self.agent_session["token"] if self.agent_session is not None else ""

    def _seen_key(self) -> str:
        agent = self.agent_session["agent"] if self.agent_session is not None else {}
        return SEEN_KEY + str(agent.get("id") or "")

    def _stored_seen(self) -> object:
        saved = self.lasting.get(self._seen_key())
        if not saved:
            return None
        try:
            return json.loads(saved)
        except ValueError:
            return None

    def _remember_seen(self) -> None:
        """Store what the agent has read, if that moved since it was last stored."""
        if self.agent_session is not None and self.inbox.seen_version != self._seen_saved:
            self._seen_saved = self.inbox.seen_version
            self.lasting.set(self._seen_key(), json.dumps(self.inbox.seen_state()))

    # ------------------------------------------------------------------ inbox

    def _presence_key(self) -> str:
        agent = self.agent_session["agent"] if self.agent_session is not None else {}
        return team.choice_key(str(agent.get("id") or ""))

    def choose_presence(self, status: str) -> None:
        """The agent flipped their availability here: remember it, say it."""
        if self.agent_session is None:
            return
        self.lasting.set(self._presence_key(), status)
        self._say_presence(status)

    def _stored_elsewhere(self, event: js.Event) -> None:
        """Another tab of this browser stored a choice: this tab says it too."""
        if self.agent_session is not None and str(event.key) == self._presence_key():
            self._say_presence(team.choice(str(event.newValue)))

    def _say_presence(self, status: str) -> None:
        self.presence = team.choice(status)
        self.view.presence.show(self.presence, True)
        for channel in self.inbox_channels:
            channel.send(team.presence_frame(self.presence))

    def _inbox_status(self, index: int, status: str) -> None:
        if status == "open" and index < len(self.inbox_channels):
            self.inbox_channels[index].send(team.presence_frame(self.presence))
        if status == "open":
            self._inbox_task = asyncio.create_task(self._load_inbox())
        elif status == "unauthorized":
            self.logout("Your session ended. Please sign in again.")

    async def _load_inbox(self, page: dict | None = None) -> None:
        """Fetch the first page, or the page `page` (an `Inbox.next_page`) names."""
        shown = self.inbox.filter
        query = "?limit=" + str(inbox.PAGE_SIZE) + "&filter=" + shown
        query += _cursor_query(page)
        status, data = await transport.request(
            "GET", self.origin + "/api/inbox" + query, token=self._token()
        )
        if status == 401:
            self.logout("Your session ended. Please sign in again.")
            return
        if shown != self.inbox.filter:
            return  # the agent chose another filter meanwhile: its own page is on the way
        if status != 200 or not isinstance(data, dict):
            self.view.render_inbox(self.inbox)  # lets "Load more" be clicked again
            return
        rows = [s for s in data.get("conversations") or [] if wire.check(s, SUMMARY_SPEC) is None]
        self.inbox.add_page(rows)
        self.view.render_inbox(self.inbox)

    def set_filter(self, name: str) -> None:
        if self.agent_session is not None and self.inbox.set_filter(name):
            self.view.render_filters(name)
            self.view.render_inbox(self.inbox)
            self._inbox_task = asyncio.create_task(self._load_inbox())

    def load_more(self) -> None:
        if self.inbox.next_page is not None:
            self._inbox_task = asyncio.create_task(self._load_inbox(self.inbox.next_page))

    def _inbox_frame(self, frame: dict) -> None:
        if frame["type"] == "presence":
            if self.team.update(frame):
                self.view.presence.render(self.team.people())
            return
        if frame["type"] != "inbox.update":
            return
        summary = frame["conversation"]
        held = self.inbox.get(summary["id"])
        if self.inbox.update(summary):
            self.view.render_inbox(self.inbox)
            if summary["id"] == self.inbox.selected and summary["last_author_role"] == "visitor":
                # The visitor may have come back from another page since the panel was drawn.
                self._run(self._load_context(summary["id"]))
            kind = alerts.news(held, summary)
            if kind is not None and js.document.hidden:
                self._alert(kind, summary)

    def _alert(self, kind: str, summary: dict) -> None:
        """Tell an agent looking elsewhere: a chime, and a notification if they allowed them."""
        transport.bridge.chime()
        if str(transport.bridge.notificationPermission()) == "granted":
            text = summary["last_text"]
            if kind == "rating":
                text = "Rated " + str(summary["rating"]) + " of 5"
            heading, body = alerts.notification(
                kind, console_view.visitor_name(summary["visitor"]), text
            )
            if len(self._notified) >= 50:
                self._notified = {}
            self._notified[summary["id"]] = summary
            transport.bridge.notify(heading, body, summary["id"])

    def _notification_clicked(self, tag: object) -> None:
        """The agent clicked a notification (the tab is focused already): open its conversation."""
        conversation_id = str(tag)
        summary = self.inbox.get(conversation_id) or self._notified.get(conversation_id)
        if self.agent_session is None or summary is None:
            return
        self.view.search.clear()
        if not inbox.matches(summary, self.inbox.filter, self.inbox.me):
            self.set_filter("all")
        self.open_hit(summary)

    def _focus_reply(self) -> None:
        self.view.focus_reply()

    def _focus_search(self) -> None:
        self.view.search.focus()

    def _show_help(self) -> None:
        self.view.help.show()

    def _escape(self) -> None:
        self.view.escape()

    def step(self, step: int) -> None:
        """Open the next (1) or previous (-1) conversation of the inbox as drawn."""
        conversation_id = self.inbox.neighbour(step)
        if conversation_id is not None:
            self.open(conversation_id)

    # ------------------------------------------------------------------ search

    def search(self, text: str, more: bool) -> None:
        """Search messages for `text`; `more`: the next page of the search shown."""
        cursor = self._search.get("next") if more and self._search.get("text") == text else None
        if more and cursor is None:
            return
        self._search = {"text": text, "next": None}
        self._run(self._find(text, cursor))

    async def _find(self, text: str, cursor: dict | None) -> None:
        query = "?q=" + _quoted(text) + _cursor_query(cursor)
        status, data = await transport.request(
            "GET", self.origin + "/api/search" + query, token=self._token()
        )
        if self._search.get("text") != text:
            return  # another search went out meanwhile
        if status == 401:
            self.logout("Your session ended. Please sign in again.")
            return
        if status != 200 or not isinstance(data, dict):
            self.view.search.failed()
            return
        hits = [hit for hit in data.get("hits") or [] if _is_hit(hit)]
        more = bool(data.get("more")) and bool(hits)
        if more:
            last = hits[-1]["conversation"]
            cursor_next = {"before_updated_at": last["updated_at"], "before_id": last["id"]}
            self._search["next"] = cursor_next
        self.view.search.show(hits, more, cursor is None)

    def open_hit(self, summary: dict) -> None:
        self.inbox.update(summary)
        self.view.render_inbox(self.inbox)
        self.open(summary["id"])

    # ------------------------------------------------------------------ canned responses

    async def _load_canned(self, site_id: str) -> None:
        path = "/api/sites/" + _quoted(site_id) + "/canned"
        status, data = await transport.request("GET", self.origin + path, token=self._token())
        if status == 200 and isinstance(data, dict):
            found = data.get("responses") or []
            self.canned[site_id] = [r for r in found if canned_replies.is_response(r)]

    def _canned_set(self, site_id: str, responses: list) -> None:
        """The settings page read or changed the site's canned responses: the composer's `/`
        menu offers these from now on."""
        self.canned[site_id] = [r for r in responses if canned_replies.is_response(r)]

    async def _load_team(self, site_id: str) -> None:
        path = "/api/sites/" + _quoted(site_id) + "/team"
        status, data = await transport.request("GET", self.origin + path, token=self._token())
        if status == 200 and isinstance(data, dict) and isinstance(data.get("agents"), list):
            self.teams[site_id] = data["agents"]

    def assign_choices(self) -> list:
        """Whom the open conversation can go to (`team.assign_choices`); the agent alone
        until the site's team has loaded."""
        conversation = self.conversation
        summary = self.inbox.get(self.inbox.selected) if self.inbox.selected else None
        if conversation is None or conversation.me is None or summary is None:
            return []
        agents = self.teams.get(summary["site_id"]) or [conversation.me]
        return team.assign_choices(agents, conversation.me["id"], conversation.assignee)

    def canned_responses(self) -> list:
        """The canned responses of the open conversation's site."""
        summary = self.inbox.get(self.inbox.selected) if self.inbox.selected else None
        return self.canned.get(summary["site_id"], []) if summary is not None else []

    # ------------------------------------------------------------------ suggested reply

    def suggest(self) -> None:
        if self.inbox.selected is not None:
            self._run(self._suggest(self.inbox.selected))

    async def _suggest(self, conversation_id: str) -> None:
        path = "/api/conversations/" + conversation_id + "/suggested-reply"
        status, data = await transport.request("POST", self.origin + path, token=self._token())
        if self.inbox.selected != conversation_id:
            return
        if status == 401:
            self.logout("Your session ended. Please sign in again.")
        elif status == 409:
            self.view.suggested("", "The visitor has not asked anything yet.")
        elif status != 200 or not isinstance(data, dict) or not isinstance(data.get("text"), str):
            self.view.suggested("", "No suggestion right now. Please try again.")
        elif data.get("resolution") != "answered":
            self.view.suggested("", "The knowledge base has no answer to this question.")
        else:
            titles = [c.get("title") or c.get("url") for c in data.get("citations") or []]
            sources = ", ".join(str(t) for t in titles if t)
            note = "Suggested from the knowledge base" + (": " + sources if sources else "")
            self.view.suggested(data["text"], note + ". Edit it, then send.")

    # ------------------------------------------------------------------ visitor context

    async def _load_context(self, conversation_id: str) -> None:
        path = "/api/conversations/" + conversation_id + "/visitor"
        status, data = await transport.request("GET", self.origin + path, token=self._token())
        if self.inbox.selected == conversation_id and status == 200 and isinstance(data, dict):
            self.view.context.show(data)

    # ------------------------------------------------------------------ one conversation

    def open(self, conversation_id: str) -> None:
        summary = self.inbox.get(conversation_id)
        if summary is None or conversation_id == self.inbox.selected:
            return
        self._leave_conversation()
        self.inbox.select(conversation_id)
        kept = self.leaving.pop(conversation_id, None)
        conversation = state.Conversation() if kept is None else kept[0]
        self.conversation = conversation
        look = chat_dom.Look(conversation, "agent", self.origin)
        self.view.open_conversation(summary, look)
        self.view.render_inbox(self.inbox)
        self._remember_seen()
        self._run(self._load_context(conversation_id))
        # Fresh for each conversation: an admin may have changed them meanwhile.
        self._run(self._load_canned(summary["site_id"]))
        self._run(self._load_team(summary["site_id"]))
        if kept is not None:
            self.channel = kept[1]
            self.connection = "" if conversation.joined else _CONNECTION["retrying"]
            self.render()
            return
        token = self._token()
        self.channel = transport.Channel(
            transport.socket_url(self.origin, "/ws/conversations/" + conversation_id),
            lambda: transport.join_frame(token, conversation.last_seq),
            lambda frame: self._frame(conversation_id, conversation, frame),
            lambda status: self._status(conversation, status),
        )
        self.channel.start()

    def _leave_conversation(self) -> None:
        """Replies still on their way out keep the conversation's socket (see the module)."""
        conversation, channel = self.conversation, self.channel
        if channel is not None and conversation is not None and conversation.outbox():
            self.leaving[self.inbox.selected] = (conversation, channel)
        elif channel is not None:
            channel.stop()
        self.channel = None
        self.conversation = None
        self.typing_signal = pacing.TypingSignal()
        self.inbox.select(None)
        self.view.close_conversation()

    def _status(self, conversation: state.Conversation, status: str) -> None:
        if status != "open":
            conversation.disconnected()
        if status == "unauthorized":
            self.logout("Your session ended. Please sign in again.")
            return
        if conversation is self.conversation:
            self.connection = _CONNECTION.get(status, "")
            self.render()

    def _frame(self, conversation_id: str, conversation: state.Conversation, frame: dict) -> None:
        shown = conversation is self.conversation
        if not shown:
            self._frame_left(conversation_id, conversation, frame)
            return
        changed = conversation.apply(frame, transport.now_ms())
        if frame["type"] == "error" and not frame.get("client_id"):
            # An action refused (say, an assignee who left the site): the agent is told why.
            self.view.show_problem("Not done: " + frame["message"] + ".")
        if frame["type"] == "welcome":
            for pending in conversation.outbox():
                self._send_pending(pending)
        if self.inbox.selected is not None:
            self.inbox.seen(self.inbox.selected, conversation.last_seq)
        if changed:
            self.render()

    def _frame_left(
        self, conversation_id: str, conversation: state.Conversation, frame: dict
    ) -> None:
        """A frame for a conversation left with replies unacked: (re)send them on its own
        socket once joined; once the room has acked them all, let the socket go."""
        kept = self.leaving.get(conversation_id)
        if kept is None or kept[0] is not conversation:
            return
        conversation.apply(frame, transport.now_ms())
        channel = kept[1]
        if frame["type"] == "welcome":
            for pending in conversation.outbox():
                note = pending["note"]
                channel.send(drafts.send_frame(pending["client_id"], pending["text"], note))
        if not conversation.outbox():
            channel.stop()
            del self.leaving[conversation_id]

    def send(self, text: str, note: bool = False) -> None:
        """A reply to the visitor, or (`note`) an internal note only agents see."""
        if self.conversation is None:
            return
        self.sent += 1
        client_id = state.new_client_id(
            transport.now_ms(), int(transport.bridge.entropy()), self.sent
        )
        self.conversation.add_pending(client_id, text, note)
        self.typing_signal.stop()
        self.render()
        for pending in self.conversation.outbox():
            if pending["client_id"] == client_id:
                self._send_pending(pending)

    def retry(self, client_id: str) -> None:
        if self.conversation is not None and self.conversation.retry(client_id):
            self.render()
            for pending in self.conversation.outbox():
                if pending["client_id"] == client_id:
                    self._send_pending(pending)

    def typed(self, has_text: bool) -> None:
        self._signal(self.typing_signal.keystroke(transport.now_ms(), has_text))

    def _send_pending(self, pending: dict) -> None:
        if self.channel is not None and self.conversation is not None and self.conversation.joined:
            frame = drafts.send_frame(pending["client_id"], pending["text"], pending["note"])
            self.channel.send(frame)

    def _signal(self, active: bool | None) -> None:
        joined = self.conversation is not None and self.conversation.joined
        if active is not None and self.channel is not None and joined:
            self.channel.send({"type": "typing", "active": active})

    # ------------------------------------------------------------------ agents' actions

    def take_over(self) -> None:
        if self.conversation is not None and self.conversation.can_take_over():
            self._act({"type": "takeover"})

    def toggle_assign(self) -> None:
        """Assign to me, or unassign when it is mine already."""
        conversation = self.conversation
        if conversation is None or conversation.me is None:
            return
        me = conversation.me.get("id")
        held = conversation.assignee
        mine = held is not None and held.get("id") == me
        self._act({"type": "assign", "agent_id": None if mine else me})

    def _choose_assignee(self) -> None:
        self.view.assign_menu.show()

    def assign_to(self, agent_id: str | None) -> None:
        """Assign the open conversation to `agent_id` (an agent of its site; None: unassign)."""
        self.view.show_problem("")
        self._act({"type": "assign", "agent_id": agent_id})

    def toggle_close(self) -> None:
        if self.conversation is not None:
            closed = self.conversation.status == "closed"
            self._act({"type": "reopen" if closed else "close"})

    def _act(self, frame: dict) -> None:
        """Actions are not queued: the buttons work while the socket is joined."""
        if self.channel is not None and self.conversation is not None and self.conversation.joined:
            self.channel.send(frame)

    def render(self) -> None:
        if self.conversation is not None:
            self.view.render_conversation(self.conversation, self.connection, transport.now_ms())

    async def _tick(self) -> None:
        """Once a second: say we stopped typing, let stale typing indicators expire, and store
        what was read meanwhile."""
        while True:
            await asyncio.sleep(1)
            self._signal(self.typing_signal.tick(transport.now_ms()))
            self.render()
            self._remember_seen()
            self.view.context.tick()


def _is_hit(data: object) -> bool:
    """A search hit as `rest.SearchHit`: a valid inbox row and a text snippet."""
    if not isinstance(data, dict) or not isinstance(data.get("snippet"), str):
        return False
    created = data.get("created_at")
    if not isinstance(created, int) or isinstance(created, bool):
        return False
    return wire.check(data.get("conversation"), SUMMARY_SPEC) is None


def _is_agent_session(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    token = data.get("token")
    agent = data.get("agent")
    return isinstance(token, str) and bool(token) and isinstance(agent, dict)


def start() -> ConsoleApp:
    app = ConsoleApp()
    app.start()
    return app
