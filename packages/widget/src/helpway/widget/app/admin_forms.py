"""The console's settings page, its pure part: what each form sends, what a role may do, and
where the edge's refusal of a field belongs on the page. No browser calls.

The edge is the judge of every value (`rest.WidgetSettingsUpdate`, `rest.SiteUpdate`, ...):
the checks here only catch what a person mistypes before a request goes out, with the same
words next to the same field. A refusal the edge sends back names the field first
(`bodies.describe`: "business_hours.weekly.0: ..."), so `field_of` can put it beside that
field instead of in a banner nobody connects with the typo.
"""

# rest.Language, with the names the page shows for them.
LANGUAGES = (
    ("en", "English"),
    ("es", "Español"),
    ("id", "Bahasa Indonesia"),
    ("pt", "Português"),
    ("th", "ไทย"),
    ("ar", "العربية"),
    ("he", "עברית"),
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROLES = ("agent", "admin", "owner")
# limits.MAX_DOCUMENT_BYTES, the edge's cap on a document's UTF-8 bytes: a file over it is
# refused before it is read.
MAX_UPLOAD_BYTES = 2_000_000
_FORMATS = {
    "md": "markdown",
    "markdown": "markdown",
    "html": "html",
    "htm": "html",
    "txt": "text",
}
UPLOAD_ACCEPT = ".md,.markdown,.html,.htm,.txt"
_HEX = "0123456789abcdefABCDEF"
_SPACE = " \t\r\n,"


# Which form field an edge refusal is about: by the body path `bodies.describe` names, or
# the first word of a message about one field ("shortcut /hi is taken on this site").
SITE_FIELDS = {"name": "name", "allowed_origins": "origins"}
WIDGET_FIELDS = {
    "title": "title",
    "greeting": "greeting",
    "greetings": "greeting",
    "color": "color",
    "position": "position",
    "launcher_text": "launcher_text",
    "assistant_name": "assistant_name",
    "avatar_url": "avatar_url",
    "languages": "languages",
    "default_language": "default_language",
    "business_hours.time_zone": "time_zone",
    "business_hours.weekly": "weekly",
    "business_hours.away_messages": "away_message",
    "business_hours": "weekly",
    "time_zone": "time_zone",
}
CANNED_FIELDS = {"shortcut": "shortcut", "title": "title", "text": "text"}
INVITE_FIELDS = {"email": "email", "role": "role"}


# ---------------------------------------------------------------- roles


def can_admin(role: str | None) -> bool:
    """Whether the role changes the site's settings, widget, agents and canned replies (the
    edge's `site:admin` scope; a plain agent reads canned replies and works on the KB only)."""
    return role in ("admin", "owner")


def may_manage(mine: str | None, theirs: str) -> bool:
    """Whether `mine` may change or remove a member holding `theirs`: admins manage agents,
    owners everyone (the edge's rule; it also keeps the last owner)."""
    if not can_admin(mine):
        return False
    return theirs == "agent" or mine == "owner"


def assignable_roles(mine: str | None) -> list:
    """The roles `mine` may give a member."""
    if mine == "owner":
        return list(ROLES)
    return ["agent"] if mine == "admin" else []


def invite_roles(mine: str | None) -> list:
    """The roles `mine` may invite with (nobody is invited as an owner)."""
    return [role for role in assignable_roles(mine) if role != "owner"]


# ---------------------------------------------------------------- snippet and lists


def snippet(edge_origin: str, site_id: str) -> str:
    """The tag a site owner pastes into their pages: the loader the edge serves for the site,
    its look and config inlined (site ids are `rest.SiteId`: letters, digits, '-' and '_',
    nothing to escape)."""
    return '<script src="' + edge_origin + "/widget/" + site_id + '.js" async></script>'


def split_list(text: str) -> list:
    """Items written one per line or separated by commas or spaces, empty ones dropped."""
    items = []
    word = ""
    for char in text:
        if char in _SPACE:
            if word:
                items.append(word)
            word = ""
        else:
            word += char
    if word:
        items.append(word)
    return items


# ---------------------------------------------------------------- business hours


def hours_text(weekly: list) -> str:
    """Opening spans as the page writes them, one a line: "mon 09:00-17:00"."""
    return "\n".join(span["day"] + " " + span["opens"] + "-" + span["closes"] for span in weekly)


def _clock(text: str) -> bool:
    """HH:MM as `rest.Clock` takes it (the edge checks the ranges)."""
    return len(text) == 5 and text[2] == ":" and all(c in "0123456789" for c in text[:2] + text[3:])


def _days(text: str) -> list | None:
    """ "mon", or a run "mon-fri" (wrapping, "fri-mon" too); None for anything else."""
    ends = text.lower().split("-")
    if len(ends) > 2 or any(end not in DAYS for end in ends):
        return None
    first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
    count = (last - first) % 7 + 1
    return [DAYS[(first + step) % 7] for step in range(count)]


def parse_hours(text: str) -> tuple:
    """(spans, problem) from lines like "mon-fri 09:00-17:00" or "sat 10:00-14:00"; problem is
    "" when every line reads, else it says which line does not."""
    spans = []
    for number, raw in enumerate(text.split("\n")):
        line = raw.strip()
        if not line:
            continue
        parts = split_list(line)
        days = _days(parts[0]) if len(parts) == 2 else None
        times = parts[1].split("-") if len(parts) == 2 else []
        if days is None or len(times) != 2 or not _clock(times[0]) or not _clock(times[1]):
            return [], "Line " + str(number + 1) + ': write it like "mon-fri 09:00-17:00".'
        if times[1] <= times[0]:
            return [], "Line " + str(number + 1) + ": closes before it opens."
        for day in days:
            spans.append({"day": day, "opens": times[0], "closes": times[1]})
    return spans, ""


# ---------------------------------------------------------------- the forms' bodies


def _is_color(text: str) -> bool:
    return text[:1] == "#" and len(text) in (4, 7) and all(c in _HEX for c in text[1:])


def site_change(name: str, origins: str) -> tuple:
    """(body of `POST /api/sites/{id}`, problems by field)."""
    problems = {}
    if not name.strip():
        problems["name"] = "Give the site a name."
    return {"name": name.strip(), "allowed_origins": split_list(origins)}, problems


def widget_change(values: dict, current: dict) -> tuple:
    """(body of `POST /api/sites/{id}/widget`, problems by field) from the form's `values`
    (strings, and booleans for the two checkboxes). `current` is the settings as loaded: the
    away message the form edits is the default language's, the others are kept."""
    problems = {}
    languages = split_list(values["languages"].lower())
    known = [code for code, _ in LANGUAGES]
    unknown = [code for code in languages if code not in known]
    if not languages:
        problems["languages"] = "Choose at least one language."
    elif unknown:
        problems["languages"] = "Not a language the widget speaks: " + ", ".join(unknown) + "."
    elif len(set(languages)) != len(languages):
        problems["languages"] = "Name each language once."
    default = values["default_language"]
    if "languages" not in problems and default not in languages:
        problems["default_language"] = "The default language must be one of the languages."
    color = values["color"].strip()
    if not _is_color(color):
        problems["color"] = "Write a colour as #rgb or #rrggbb, like #2563eb."
    if not values["title"].strip():
        problems["title"] = "Give the chat a title."
    if not values["assistant_name"].strip():
        problems["assistant_name"] = "Give the assistant a name."
    avatar = values["avatar_url"].strip()
    body = {
        "title": values["title"].strip(),
        "greeting": values["greeting"].strip(),
        "color": color,
        "position": values["position"],
        "launcher_text": values["launcher_text"].strip(),
        "assistant_name": values["assistant_name"].strip(),
        "avatar_url": avatar or None,  # none: the widget draws no avatar
        "languages": languages,
        "default_language": default,
        "business_hours": None,
    }
    if values["hours_on"]:
        spans, problem = parse_hours(values["weekly"])
        if problem:
            problems["weekly"] = problem
        zone = values["time_zone"].strip()
        if not zone:
            problems["time_zone"] = "Name the team's time zone, like Europe/Madrid."
        held = current.get("business_hours") or {}
        away = dict(held.get("away_messages") or {})
        message = values["away_message"].strip()
        if message:
            away[default] = message
        elif default in away:
            del away[default]
        body["business_hours"] = {
            "time_zone": zone,
            "weekly": spans,
            "away_messages": away,
            "collect_email": bool(values["collect_email"]),
        }
    return body, problems


def canned_change(shortcut: str, title: str, text: str) -> tuple:
    """(body of a canned reply, problems by field). A shortcut is typed after "/" in the
    composer, so a leading slash here is the same shortcut."""
    short = shortcut.strip().lower()
    if short.startswith("/"):
        short = short[1:]
    problems = {}
    if not short:
        problems["shortcut"] = "Give it a shortcut, like refund."
    elif not all(c in "abcdefghijklmnopqrstuvwxyz0123456789_-" for c in short) or len(short) > 32:
        problems["shortcut"] = "Use up to 32 letters, digits, - or _ (no spaces)."
    elif short[0] in "_-":
        problems["shortcut"] = "Start the shortcut with a letter or digit."
    if not title.strip():
        problems["title"] = "Give it a title."
    if not text.strip():
        problems["text"] = "Write the reply's text."
    return {"shortcut": short, "title": title.strip(), "text": text.strip()}, problems


# ---------------------------------------------------------------- the KB's uploads


def upload_format(filename: str) -> str | None:
    """The ingest format a file's name says (`KbDocumentIn.format`), or None."""
    at = filename.rfind(".")
    return _FORMATS.get(filename[at + 1 :].lower()) if at > 0 else None


def upload_problem(filename: str, size: int) -> str:
    """Why a file will not be sent ("" if it will)."""
    if upload_format(filename) is None:
        return filename + ": only Markdown, HTML and text files (.md, .html, .txt)."
    if size > MAX_UPLOAD_BYTES:
        return filename + ": larger than 2 MB."
    if size == 0:
        return filename + ": the file is empty."
    return ""


def upload_url(filename: str) -> str:
    """The document's URL in the KB for an uploaded file: an `upload:` name, which the widget
    cites by title without a link (it is published nowhere), and which uploading a file of the
    same name again replaces."""
    return "upload:" + filename


# ---------------------------------------------------------------- the edge's answers


def _path_field(path: str, fields: dict) -> str:
    """The form field for an error path like "business_hours.weekly.0"."""
    for prefix in sorted(fields, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "."):
            return fields[prefix]
    return ""


def field_of(message: str, fields: dict) -> tuple:
    """(form field, text) for an edge refusal `message`; field "" when it is about no one
    field. `fields` maps a body path ("business_hours.time_zone") or a leading word of a
    message ("shortcut" in "shortcut /hi is taken") to a form field."""
    where = ""
    text = message
    at = message.find(": ")
    if at > 0 and " " not in message[:at]:
        where, text = message[:at], message[at + 2 :]
    for noise in ("Value error, ", "Assertion failed, "):
        if text.startswith(noise):
            text = text[len(noise) :]
    field = _path_field(where, fields) if where and where != "body" else ""
    if not field:
        # A check across fields names its field in the text ("default_language must be ...").
        head = split_list(text.replace(":", " "))
        field = fields.get(head[0], "") if head else ""
    return field, text[:1].upper() + text[1:]


def refusal(status: int, data: object) -> str:
    """What to tell the person when the edge said no (or nothing)."""
    if status == 0:
        return "Can't reach the server. Please try again."
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, str) and message:
        return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    if status == 403:
        return "Only the site's admins may do this."
    return "That did not work (HTTP " + str(status) + "). Please try again."
