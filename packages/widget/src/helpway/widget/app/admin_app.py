"""The console's settings page: one site at a time — its name and allowed origins, the snippet
to paste, the widget's settings, the KB's documents, its agents and invites, its canned replies.

Reached from the header's "Settings" button or the `#settings` address (a reload stays there);
"Inbox" goes back. Everything goes through the REST API the CLI mirrors, with the agent's
token. What the page offers follows the agent's role on the site (`GET /api/sites` says it):
admins and owners edit; a plain agent sees the site and its snippet read-only, works on the KB
(the edge grants agents `kb:write`) and reads the canned replies. The edge refuses the rest
whatever the page shows, and a refusal is shown beside the field it is about.

Saved widget settings reach visitors the next time a widget loads (the site's loader inlines
them and is revalidated on every page load) or opens its panel (`GET /api/visitor/config`,
never cached). A canned reply saved here is handed to the console (`on_canned`), so the
composer's `/` menu has it at once.
"""

import asyncio

import admin_forms
import admin_view
import js
import transport
from admin_view import Form, button, confirm_button, element

# mypy reads this as true; MicroPython (no `typing`) never runs the import below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

HASH = "#settings"
HOURS_FIELDS = ("time_zone", "weekly", "away_message", "collect_email")
_ROLE_NAMES = {"agent": "Agent", "admin": "Admin", "owner": "Owner"}
_KB_STATUS = {"indexed": "Indexed", "failed": "Failed"}


def _quoted(value: str) -> str:
    return str(js.encodeURIComponent(value))


class AdminPage:
    """`token()` is the agent's token ("" when signed out), `ended(message)` signs out after
    the edge refused it, `on_canned(site_id, responses)` tells the console a site's canned
    replies changed."""

    def __init__(
        self,
        origin: str,
        token: "Callable[[], str]",
        ended: "Callable[[str], None]",
        on_canned: "Callable[[str, list], None]",
    ) -> None:
        self.origin = origin
        self._token = token
        self._ended = ended
        self._on_canned = on_canned
        self.sites: list = []
        self.site: dict | None = None
        self.widget: dict = {}
        self.canned: list = []
        self.editing: str | None = None  # the canned reply the form edits
        self._tasks: list = []
        doc = js.document
        self.desk = doc.querySelector(".hc-desk")
        self.page = doc.querySelector(".hc-admin")
        self.switch = doc.querySelector(".hc-settings")
        admin_view.on(self.switch, "click", lambda _event: self.toggle())
        admin_view.on(js.window, "hashchange", lambda _event: self._follow_hash())
        self._draw()

    # ------------------------------------------------------------------ showing the page

    def enter(self) -> None:
        """The agent signed in: offer the page, and open it if the address asks."""
        self.switch.hidden = False
        self._follow_hash()

    def leave(self) -> None:
        """Signed out: nothing of the page stays, not even hidden (the next agent to sign in
        on this tab may be another)."""
        self.switch.hidden = True
        self.switch.textContent = "Settings"
        self.page.hidden = True
        self.sites = []
        self.site = None
        self.widget = {}
        self.canned = []
        self._draw()

    @property
    def shown(self) -> bool:
        return not self.page.hidden

    def toggle(self) -> None:
        js.location.hash = "" if self.shown else HASH
        self._follow_hash()

    def _follow_hash(self) -> None:
        wanted = str(js.location.hash) == HASH and bool(self._token())
        if wanted and not self.shown:
            self.page.hidden = False
            self.desk.hidden = True
            self.switch.textContent = "Inbox"
            self._run(self._load_sites())
        elif not wanted and self.shown:
            self.page.hidden = True
            self.desk.hidden = not self._token()
            self.switch.textContent = "Settings"

    def _run(self, job: "Coroutine") -> None:
        self._tasks = [task for task in self._tasks if not task.done()]
        self._tasks.append(asyncio.create_task(job))

    async def _call(self, method: str, path: str, body: dict | None = None) -> tuple:
        """A request with the agent's token; a refused token signs the console out."""
        status, data = await transport.request(method, self.origin + path, body, self._token())
        if status == 401:
            self._ended("Your session ended. Please sign in again.")
        return status, data

    @property
    def site_id(self) -> str:
        """The site shown ("" before the sites are in)."""
        return self.site["id"] if self.site else ""

    @property
    def role(self) -> str | None:
        return self.site.get("role") if self.site else None

    # ------------------------------------------------------------------ drawing

    def _draw(self) -> None:
        page = self.page
        page.replaceChildren()
        head = element("div", "ha-head")
        head.appendChild(element("h1", "", "Settings"))
        self.site_select = element("select", "ha-site")
        self.site_select.setAttribute("aria-label", "Site")
        admin_view.on(self.site_select, "change", lambda _event: self._pick_site())
        head.appendChild(self.site_select)
        self.role_note = element("p", "ha-role")
        head.appendChild(self.role_note)
        self.load_error = admin_view.error_line()
        head.appendChild(self.load_error)
        page.appendChild(head)
        for draw in (
            self._draw_site,
            self._draw_widget,
            self._draw_kb,
            self._draw_agents,
            self._draw_canned,
        ):
            page.appendChild(draw())

    def _draw_site(self) -> js.Element:
        """The site's name and origins, and its snippet."""
        site = admin_view.section("Site", "ha-site-section")
        self.site_form = Form("site", "Site", "Save site", self._save_site)
        self.site_form.field("name", "Name")
        self.site_form.field(
            "origins",
            "Allowed origins",
            "textarea",
            hint="One per line, like https://shop.example: the widget runs on these pages only. "
            "Left empty (or *), any page on the web may use the widget.",
        )
        site.appendChild(self.site_form.node)
        site.appendChild(element("h3", "", "Snippet"))
        site.appendChild(
            element("p", "ha-hint", "Paste this before </body> on every page of the site.")
        )
        self.snippet, copy, self.snippet_status = admin_view.copy_box("Snippet", "ha-snippet")
        admin_view.on(
            copy, "click", lambda _e: self._run(self._copy(self.snippet, self.snippet_status))
        )
        site.appendChild(self.snippet)
        row = element("div", "ha-actions")
        row.appendChild(copy)
        row.appendChild(self.snippet_status)
        site.appendChild(row)
        return site

    def _draw_widget(self) -> js.Element:
        """The widget's settings form."""
        self.widget_section = admin_view.section("Widget", "ha-widget-section")
        self.widget_note = element("p", "ha-hint")
        self.widget_section.appendChild(self.widget_note)
        form = Form("widget", "Widget", "Save widget", self._save_widget)
        form.field("title", "Title")
        form.field(
            "greeting",
            "Greeting",
            "textarea",
            hint="Said in each language that has no greeting of its own (the CLI's "
            "sites config --greeting-for sets those).",
        )
        form.field("color", "Colour", hint="#rgb or #rrggbb")
        form.field("position", "Position", "select", [("right", "Right"), ("left", "Left")])
        form.field("launcher_text", "Launcher text", hint="Beside the chat button; empty: none.")
        form.field("assistant_name", "Assistant's name")
        form.field(
            "avatar_url",
            "Avatar URL",
            hint="An https:// image, or a path on this edge like /avatar.png; empty: none.",
        )
        form.field("languages", "Languages", hint="Codes, like en, es: " + _language_codes() + ".")
        form.field("default_language", "Default language", "select", list(admin_forms.LANGUAGES))
        form.field(
            "hours_on", "Business hours (outside them, the widget says you're away)", "checkbox"
        )
        form.field("time_zone", "Time zone", hint="Like Europe/Madrid or America/New_York.")
        form.field("weekly", "Opening hours", "textarea", hint="One a line: mon-fri 09:00-17:00")
        form.field(
            "away_message",
            "Away message",
            "textarea",
            hint="In the default language; other languages keep theirs.",
        )
        form.field("collect_email", "Ask for an e-mail while away", "checkbox")
        self.widget_form = form
        admin_view.on(form.inputs["hours_on"], "change", lambda _event: self._show_hours())
        self.widget_section.appendChild(form.node)
        return self.widget_section

    def _draw_kb(self) -> js.Element:
        """The KB: upload, progress, documents."""
        kb = admin_view.section("Knowledge base", "ha-kb-section")
        kb.appendChild(
            element(
                "p",
                "ha-hint",
                "Markdown, HTML or text files. The assistant answers from them and cites "
                "them by title; uploading a file of the same name again replaces it.",
            )
        )
        label = element("label", "ha-label")
        label.appendChild(element("span", "", "Upload documents"))
        self.upload = element("input", "ha-upload")
        self.upload.setAttribute("type", "file")
        self.upload.setAttribute("multiple", "")
        self.upload.setAttribute("accept", admin_forms.UPLOAD_ACCEPT)
        admin_view.on(self.upload, "change", lambda _event: self._run(self._upload()))
        label.appendChild(self.upload)
        kb.appendChild(label)
        self.kb_progress = element("progress", "ha-kb-progress")
        self.kb_progress.hidden = True
        kb.appendChild(self.kb_progress)
        self.kb_status = element("p", "ha-status ha-kb-status")
        self.kb_status.setAttribute("role", "status")
        kb.appendChild(self.kb_status)
        self.kb_error = admin_view.error_line("ha-kb-error")
        kb.appendChild(self.kb_error)
        self.documents = admin_view.ItemList("ha-docs", "Documents", "No documents yet.")
        kb.appendChild(self.documents.node)
        kb.appendChild(self.documents.empty)
        return kb

    def _draw_agents(self) -> js.Element:
        """Members, the invite form and its one-time link, pending invites."""
        self.agents_section = admin_view.section("Agents", "ha-agents-section")
        self.agents_note = element("p", "ha-hint")
        self.agents_section.appendChild(self.agents_note)
        self.members_error = admin_view.error_line("ha-members-error")
        self.agents_section.appendChild(self.members_error)
        self.members = admin_view.ItemList("ha-members", "Members", "No agents.")
        self.agents_section.appendChild(self.members.node)
        self.invite_form = Form("invite", "Invite an agent", "Invite", self._invite)
        self.invite_form.field("email", "E-mail", "email")
        self.invite_form.field("role", "Role", "select", [("agent", "Agent")])
        self.agents_section.appendChild(self.invite_form.node)
        self.invite_box = element("div", "ha-invite")
        self.invite_box.hidden = True
        self.invite_box.appendChild(
            element(
                "p",
                "ha-hint",
                "Send this link to the invitee. It works once, and is shown only now.",
            )
        )
        self.invite_link, copy, self.invite_status = admin_view.copy_box(
            "Invite link", "ha-invite-link"
        )
        admin_view.on(
            copy,
            "click",
            lambda _e: self._run(self._copy(self.invite_link, self.invite_status)),
        )
        self.invite_box.appendChild(self.invite_link)
        row = element("div", "ha-actions")
        row.appendChild(copy)
        row.appendChild(self.invite_status)
        self.invite_box.appendChild(row)
        self.agents_section.appendChild(self.invite_box)
        self.invites = admin_view.ItemList("ha-invites", "Pending invites", "No pending invites.")
        self.agents_section.appendChild(element("h3", "", "Pending invites"))
        self.agents_section.appendChild(self.invites.node)
        self.agents_section.appendChild(self.invites.empty)
        return self.agents_section

    def _draw_canned(self) -> js.Element:
        """Canned replies and their form."""
        canned = admin_view.section("Canned replies", "ha-canned-section")
        canned.appendChild(
            element("p", "ha-hint", "Type / and the shortcut in the reply box to use one.")
        )
        self.canned_error = admin_view.error_line("ha-canned-error")
        canned.appendChild(self.canned_error)
        self.canned_list = admin_view.ItemList("ha-canned-list", "Canned replies", "None yet.")
        canned.appendChild(self.canned_list.node)
        canned.appendChild(self.canned_list.empty)
        self.canned_form = Form("canned", "Canned response", "Add reply", self._save_canned)
        self.canned_form.field("shortcut", "Shortcut", hint="Typed after /, like refund.")
        self.canned_form.field("title", "Title")
        self.canned_form.field("text", "Text", "textarea")
        self.canned_cancel = button("Cancel", "ha-cancel", self._stop_editing)
        self.canned_cancel.hidden = True
        self.canned_form.actions.appendChild(self.canned_cancel)
        canned.appendChild(self.canned_form.node)
        return canned

    # ------------------------------------------------------------------ the site

    async def _load_sites(self) -> None:
        self.load_error.textContent = ""
        status, data = await self._call("GET", "/api/sites")
        if status != 200 or not isinstance(data, dict):
            self.load_error.textContent = admin_forms.refusal(status, data)
            return
        self.sites = [s for s in data.get("sites") or [] if isinstance(s, dict)]
        chosen = self.site_id or None
        self.site_select.replaceChildren()
        for site in self.sites:
            option = element("option", "", site.get("name") + " (" + site.get("id") + ")")
            option.value = site.get("id")
            self.site_select.appendChild(option)
        ids = [s.get("id") for s in self.sites]
        if chosen not in ids:
            chosen = ids[0] if ids else None
        self.site_select.hidden = len(ids) < 2
        if chosen is None:
            self.load_error.textContent = "You answer for no site yet."
            return
        self.site_select.value = chosen
        self._show_site(chosen)

    def _pick_site(self) -> None:
        self._show_site(str(self.site_select.value))

    def _show_site(self, site_id: str) -> None:
        self.site = None
        for site in self.sites:
            if site.get("id") == site_id:
                self.site = site
        if self.site is None:
            return
        role = self.role
        admin = admin_forms.can_admin(role)
        self.role_note.textContent = (
            "You are the site's " + str(role) + "."
            if admin
            else "You are an agent of this site: you can work on its knowledge base; its "
            "admins change its settings, agents and canned replies."
        )
        self.site_form.fill(
            {"name": self.site["name"], "origins": "\n".join(self.site["allowed_origins"])}
        )
        self.site_form.done("")
        self.site_form.set_editable(admin)
        self.snippet.value = admin_forms.snippet(self.origin, site_id)
        self.snippet_status.textContent = ""
        self.widget_form.node.hidden = True
        self.widget_note.textContent = (
            "Loading…" if admin else "Only the site's admins see and change the widget."
        )
        self.agents_note.textContent = (
            "" if admin else "Only the site's admins see and manage its agents."
        )
        self.members.render([], self._member_row)
        self.members.node.hidden = not admin
        self.invites.render([], self._invite_row)
        self.invite_form.node.hidden = not admin
        self.invite_box.hidden = True
        self.canned_form.node.hidden = not admin
        self._stop_editing()
        self.kb_error.textContent = ""
        self.kb_status.textContent = ""
        self.kb_progress.hidden = True
        if admin:
            self._run(self._load_widget(site_id))
            self._run(self._load_members(site_id))
            roles = admin_forms.invite_roles(role)
            select = self.invite_form.inputs["role"]
            select.replaceChildren()
            for name in roles:
                option = element("option", "", _ROLE_NAMES[name])
                option.value = name
                select.appendChild(option)
        self.invites.node.hidden = not admin
        self.invites.empty.hidden = True
        self._run(self._load_documents(site_id))
        self._run(self._load_canned(site_id))

    def _current(self, site_id: str) -> bool:
        """Whether `site_id` is still the site shown (answers can arrive after a switch)."""
        return bool(site_id) and self.site_id == site_id and self.shown

    async def _read(self, site_id: str, path: str, error: js.Element) -> dict | None:
        """GET `path` for the site shown: None if the answer came after a switch to another site
        (it is dropped, so one site's list never lands on another's page) or is a refusal (said
        in `error`, the section's own line)."""
        status, data = await self._call("GET", path)
        if not self._current(site_id):
            return None
        if status != 200 or not isinstance(data, dict):
            error.textContent = admin_forms.refusal(status, data)
            return None
        return data

    def _save_site(self, form: Form) -> None:
        values = form.values()
        body, problems = admin_forms.site_change(values["name"], values["origins"])
        form.show_problems(problems)
        if not problems:
            form.busy("Saving…")
            self._run(self._send_site(self.site_id, body))

    async def _send_site(self, site_id: str, body: dict) -> None:
        """The saved site keeps its new name in the list even if another was picked while the
        edge answered; only the form of the site still shown is touched."""
        form = self.site_form
        status, data = await self._call("POST", "/api/sites/" + _quoted(site_id), body)
        saved = status == 200 and isinstance(data, dict)
        if saved:
            for site in self.sites:
                if site.get("id") == site_id:
                    site.update(data)
            # Site ids are letters, digits, '-' and '_': nothing to escape in the selector.
            option = self.site_select.querySelector('option[value="' + site_id + '"]')
            if option:
                option.textContent = data["name"] + " (" + site_id + ")"
        if not self._current(site_id):
            return
        if saved:
            form.fill({"name": data["name"], "origins": "\n".join(data["allowed_origins"])})
            form.done("Saved.")
        else:
            self._refused(form, status, data, admin_forms.SITE_FIELDS)

    def _refused(self, form: Form, status: int, data: object, fields: dict) -> None:
        form.done("")
        message = data.get("message") if isinstance(data, dict) else None
        if status in (409, 422) and isinstance(message, str):
            field, text = admin_forms.field_of(message, fields)
            if field:
                form.show_problems({field: text})
                return
        form.show_problems({}, admin_forms.refusal(status, data))

    async def _copy(self, field: js.Element, status: js.Element) -> None:
        """The Clipboard API where the browser grants it; else the text is selected and the
        old copy command tried, and failing that the person copies the selection."""
        text = str(field.value)
        clipboard = js.navigator.clipboard
        try:
            await clipboard.writeText(text)
            status.textContent = "Copied."
            return
        except Exception:  # no Clipboard API here (an insecure page), or it was refused
            pass
        field.focus()
        field.select()
        copied = bool(js.document.execCommand("copy"))
        status.textContent = "Copied." if copied else "Selected: press Ctrl+C (⌘C) to copy."

    # ------------------------------------------------------------------ the widget

    async def _load_widget(self, site_id: str) -> None:
        data = await self._read(
            site_id, "/api/sites/" + _quoted(site_id) + "/widget", self.widget_note
        )
        if data is None:
            return
        self._fill_widget(data)
        self.widget_note.textContent = "Visitors get these the next time the widget loads."
        self.widget_form.node.hidden = False
        self.widget_form.done("")

    def _fill_widget(self, settings: dict) -> None:
        self.widget = settings
        hours = settings.get("business_hours") or {}
        away = hours.get("away_messages") or {}
        self.widget_form.fill(
            {
                "title": settings["title"],
                "greeting": settings["greeting"],
                "color": settings["color"],
                "position": settings["position"],
                "launcher_text": settings["launcher_text"],
                "assistant_name": settings["assistant_name"],
                "avatar_url": settings.get("avatar_url") or "",
                "languages": ", ".join(settings["languages"]),
                "default_language": settings["default_language"],
                "hours_on": bool(hours),
                "time_zone": hours.get("time_zone") or "",
                "weekly": admin_forms.hours_text(hours.get("weekly") or []),
                "away_message": away.get(settings["default_language"]) or "",
                "collect_email": hours.get("collect_email", True),
            }
        )
        self._show_hours()

    def _show_hours(self) -> None:
        """The hours' fields show while business hours are on."""
        on = bool(self.widget_form.inputs["hours_on"].checked)
        for name in HOURS_FIELDS:
            self.widget_form.inputs[name].closest(".ha-field").hidden = not on

    def _save_widget(self, form: Form) -> None:
        body, problems = admin_forms.widget_change(form.values(), self.widget)
        form.show_problems(problems)
        if not problems:
            form.busy("Saving…")
            self._run(self._send_widget(self.site_id, body))

    async def _send_widget(self, site_id: str, body: dict) -> None:
        form = self.widget_form
        status, data = await self._call("POST", "/api/sites/" + _quoted(site_id) + "/widget", body)
        if not self._current(site_id):
            return
        if status == 200 and isinstance(data, dict):
            self._fill_widget(data)
            form.done("Saved. Visitors get it the next time the widget loads.")
        else:
            self._refused(form, status, data, admin_forms.WIDGET_FIELDS)

    # ------------------------------------------------------------------ the knowledge base

    async def _load_documents(self, site_id: str) -> None:
        data = await self._read(
            site_id, "/api/kb/documents?site_id=" + _quoted(site_id), self.kb_error
        )
        if data is None:
            return
        rows = [d for d in data.get("documents") or [] if isinstance(d, dict)]
        self.documents.render(rows, self._document_row)

    def _document_row(self, doc: dict) -> js.Element:
        row = element("li", "ha-doc")
        row.setAttribute("data-url", doc["url"])
        row.setAttribute("data-status", doc["status"])
        row.appendChild(element("span", "ha-doc-title", doc["title"] or doc["url"]))
        row.appendChild(element("span", "ha-doc-url", doc["url"]))
        state = _KB_STATUS.get(doc["status"], doc["status"])
        if doc["status"] == "indexed":
            state += ", " + str(doc["chunks"]) + (" section" if doc["chunks"] == 1 else " sections")
        elif doc.get("error"):
            state += ": " + doc["error"]
        row.appendChild(element("span", "ha-doc-status", state))
        row.appendChild(element("span", "ha-doc-time", _when(doc["updated_at"])))
        url = doc["url"]
        row.appendChild(
            confirm_button("Delete", "ha-delete", lambda: self._run(self._delete_document(url)))
        )
        return row

    async def _upload(self) -> None:
        """Send each chosen file to the ingest API in turn, saying how far it got while its
        site is the one shown (the files go to the site they were chosen on either way)."""
        site_id = self.site_id
        files = self.upload.files
        count = int(files.length)
        if not site_id or not count:
            return
        self.upload.disabled = True
        self.kb_error.textContent = ""
        problems = []
        done = []
        self.kb_progress.max = count
        self.kb_progress.value = 0
        self.kb_progress.hidden = False

        def say(text: str) -> None:
            if self._current(site_id):
                self.kb_status.textContent = text

        for index in range(count):
            upload = files.item(index)
            name = str(upload.name)
            where = " (" + str(index + 1) + " of " + str(count) + ")" if count > 1 else ""
            problem = admin_forms.upload_problem(name, int(upload.size))
            if not problem:
                say("Uploading " + name + where + "…")
                content = await upload.text()
                say("Indexing " + name + where + "…")
                body = {
                    "site_id": site_id,
                    "url": admin_forms.upload_url(name),
                    "content": str(content),
                    "format": admin_forms.upload_format(name),
                }
                status, data = await self._call("POST", "/api/kb/documents", body)
                if status == 200 and isinstance(data, dict):
                    done.append(name + ": " + str(data.get("status")))
                else:
                    problem = name + ": " + admin_forms.refusal(status, data)
            if problem:
                problems.append(problem)
            self.kb_progress.value = index + 1
        self.kb_progress.hidden = True
        self.upload.value = ""
        self.upload.disabled = False
        if self._current(site_id):
            self.kb_status.textContent = ("Uploaded " + "; ".join(done) + ".") if done else ""
            self.kb_error.textContent = " ".join(problems)
            await self._load_documents(site_id)

    async def _delete_document(self, url: str) -> None:
        site_id = self.site_id
        query = "?site_id=" + _quoted(site_id) + "&url=" + _quoted(url)
        status, data = await self._call("DELETE", "/api/kb/documents" + query)
        if self._current(site_id):
            self.kb_error.textContent = "" if status == 204 else admin_forms.refusal(status, data)
            self.kb_status.textContent = "Deleted " + url + "." if status == 204 else ""
            await self._load_documents(site_id)

    # ------------------------------------------------------------------ agents and invites

    async def _load_members(self, site_id: str) -> None:
        data = await self._read(
            site_id, "/api/sites/" + _quoted(site_id) + "/agents", self.members_error
        )
        if data is None:
            return
        rows = [m for m in data.get("agents") or [] if isinstance(m, dict)]
        self.members.render(rows, self._member_row)
        status, data = await self._call("GET", "/api/sites/" + _quoted(site_id) + "/invites")
        if self._current(site_id) and status == 200 and isinstance(data, dict):
            pending = [i for i in data.get("invites") or [] if not i.get("used_at")]
            self.invites.render(pending, self._invite_row)

    def _member_row(self, member: dict) -> js.Element:
        row = element("li", "ha-member")
        row.setAttribute("data-email", member["email"])
        row.setAttribute("data-role", member["role"])
        row.appendChild(element("span", "ha-member-name", member["name"]))
        row.appendChild(element("span", "ha-member-email", member["email"]))
        agent_id = member["agent_id"]
        roles = admin_forms.assignable_roles(self.role)
        if admin_forms.may_manage(self.role, member["role"]) and len(roles) > 1:
            select = element("select", "ha-member-role")
            select.setAttribute("aria-label", "Role of " + member["name"])
            for name in roles:
                option = element("option", "", _ROLE_NAMES[name])
                option.value = name
                select.appendChild(option)
            select.value = member["role"]
            admin_view.on(
                select,
                "change",
                lambda _e: self._run(self._change_role(agent_id, str(select.value))),
            )
            row.appendChild(select)
        else:
            row.appendChild(element("span", "ha-member-role", _ROLE_NAMES[member["role"]]))
        if admin_forms.may_manage(self.role, member["role"]):
            remove = confirm_button(
                "Remove", "ha-delete", lambda: self._run(self._remove_member(agent_id))
            )
            remove.setAttribute("aria-label", "Remove " + member["name"])
            row.appendChild(remove)
        return row

    def _invite_row(self, invite: dict) -> js.Element:
        row = element("li", "ha-pending")
        row.setAttribute("data-email", invite["email"])
        row.appendChild(element("span", "ha-member-email", invite["email"]))
        row.appendChild(element("span", "ha-pending-role", _ROLE_NAMES[invite["role"]]))
        row.appendChild(element("span", "ha-doc-time", "expires " + _when(invite["expires_at"])))
        return row

    async def _change_role(self, agent_id: str, role: str) -> None:
        await self._member_action("POST", agent_id, {"role": role})

    async def _remove_member(self, agent_id: str) -> None:
        await self._member_action("DELETE", agent_id, None)

    async def _member_action(self, method: str, agent_id: str, body: dict | None) -> None:
        """Change or remove a member; the edge keeps its rules (the last owner stays) and
        says so; the list is read again either way, so it shows what is."""
        site_id = self.site_id
        path = "/api/sites/" + _quoted(site_id) + "/agents/" + _quoted(agent_id)
        status, data = await self._call(method, path, body)
        if self._current(site_id):
            self.members_error.textContent = (
                "" if status == 204 else admin_forms.refusal(status, data)
            )
            await self._load_members(site_id)

    def _invite(self, form: Form) -> None:
        values = form.values()
        email = values["email"].strip()
        if "@" not in email:
            form.show_problems({"email": "Write the invitee's e-mail address."})
            return
        form.show_problems({})
        form.busy("Inviting…")
        self.invite_box.hidden = True
        self._run(self._send_invite(self.site_id, {"email": email, "role": values["role"]}))

    async def _send_invite(self, site_id: str, body: dict) -> None:
        form = self.invite_form
        status, data = await self._call("POST", "/api/sites/" + _quoted(site_id) + "/invites", body)
        if not self._current(site_id):
            return
        if status == 200 and isinstance(data, dict) and isinstance(data.get("url"), str):
            form.fill({"email": ""})
            form.done("Invited " + body["email"] + ".")
            self.invite_link.value = data["url"]
            self.invite_status.textContent = ""
            self.invite_box.hidden = False
            await self._load_members(site_id)
        else:
            self._refused(form, status, data, admin_forms.INVITE_FIELDS)

    # ------------------------------------------------------------------ canned replies

    async def _load_canned(self, site_id: str) -> None:
        data = await self._read(
            site_id, "/api/sites/" + _quoted(site_id) + "/canned", self.canned_error
        )
        if data is None:
            return
        self.canned_error.textContent = ""
        self.canned = [r for r in data.get("responses") or [] if isinstance(r, dict)]
        self.canned_list.render(self.canned, self._canned_row)
        self._on_canned(site_id, self.canned)

    def _canned_row(self, reply: dict) -> js.Element:
        row = element("li", "ha-canned")
        row.setAttribute("data-shortcut", reply["shortcut"])
        row.appendChild(element("span", "ha-canned-shortcut", "/" + reply["shortcut"]))
        row.appendChild(element("span", "ha-canned-title", reply["title"]))
        row.appendChild(element("span", "ha-canned-text", reply["text"]))
        if admin_forms.can_admin(self.role):
            reply_id = reply["id"]
            edit = button("Edit", "ha-edit", lambda: self._edit(reply))
            edit.setAttribute("aria-label", "Edit /" + reply["shortcut"])
            row.appendChild(edit)
            delete = confirm_button(
                "Delete", "ha-delete", lambda: self._run(self._delete_canned(reply_id))
            )
            delete.setAttribute("aria-label", "Delete /" + reply["shortcut"])
            row.appendChild(delete)
        return row

    def _edit(self, reply: dict) -> None:
        self.editing = reply["id"]
        form = self.canned_form
        form.fill({"shortcut": reply["shortcut"], "title": reply["title"], "text": reply["text"]})
        form.done("")
        form.submit.textContent = "Save changes"
        self.canned_cancel.hidden = False
        form.inputs["text"].focus()

    def _stop_editing(self) -> None:
        self.editing = None
        form = self.canned_form
        form.fill({"shortcut": "", "title": "", "text": ""})
        form.submit.textContent = "Add reply"
        self.canned_cancel.hidden = True

    def _save_canned(self, form: Form) -> None:
        values = form.values()
        body, problems = admin_forms.canned_change(
            values["shortcut"], values["title"], values["text"]
        )
        form.show_problems(problems)
        if not problems:
            form.busy("Saving…")
            self._run(self._send_canned(self.site_id, self.editing, body))

    async def _send_canned(self, site_id: str, reply_id: str | None, body: dict) -> None:
        form = self.canned_form
        path = "/api/sites/" + _quoted(site_id) + "/canned"
        if reply_id is not None:
            path += "/" + _quoted(reply_id)
        status, data = await self._call("POST", path, body)
        if not self._current(site_id):
            return
        if status == 200:
            self._stop_editing()
            form.done("Saved /" + body["shortcut"] + ".")
            await self._load_canned(site_id)
        else:
            self._refused(form, status, data, admin_forms.CANNED_FIELDS)

    async def _delete_canned(self, reply_id: str) -> None:
        site_id = self.site_id
        path = "/api/sites/" + _quoted(site_id) + "/canned/" + _quoted(reply_id)
        status, data = await self._call("DELETE", path)
        if not self._current(site_id):
            return
        if status != 204:
            self.canned_error.textContent = admin_forms.refusal(status, data)
        if reply_id == self.editing:
            self._stop_editing()
        await self._load_canned(site_id)


def _when(ms: int) -> str:
    """A date and time in the browser's zone and words. A float: MicroPython cuts a big int to
    32 bits on its way to JavaScript."""
    return str(js.Date.new(float(ms)).toLocaleString())


def _language_codes() -> str:
    return ", ".join(code + " " + name for code, name in admin_forms.LANGUAGES)
