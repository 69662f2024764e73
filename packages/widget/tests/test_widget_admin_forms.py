"""The settings page's pure part: roles, the snippet, business hours as text, the forms' bodies
and checks, uploads, and where the edge's refusals land.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import admin_forms
except ImportError:  # MicroPython: the app modules sit flat on the path
    import admin_forms

WIDGET_FIELDS = admin_forms.WIDGET_FIELDS


def form(**changes):
    values = {
        "title": "Help",
        "greeting": "Hi!",
        "color": "#2563eb",
        "position": "right",
        "launcher_text": "",
        "assistant_name": "Ada",
        "avatar_url": "",
        "languages": "en, es",
        "default_language": "en",
        "hours_on": False,
        "time_zone": "",
        "weekly": "",
        "away_message": "",
        "collect_email": True,
    }
    values.update(changes)
    return values


def test_roles_follow_the_edges_rules():
    assert admin_forms.can_admin("owner") and admin_forms.can_admin("admin")
    assert not admin_forms.can_admin("agent") and not admin_forms.can_admin(None)
    assert admin_forms.may_manage("admin", "agent")
    assert not admin_forms.may_manage("admin", "admin")
    assert not admin_forms.may_manage("admin", "owner")
    assert admin_forms.may_manage("owner", "owner")
    assert not admin_forms.may_manage("agent", "agent")
    assert admin_forms.assignable_roles("owner") == ["agent", "admin", "owner"]
    assert admin_forms.assignable_roles("admin") == ["agent"]
    assert admin_forms.assignable_roles("agent") == []
    assert admin_forms.invite_roles("owner") == ["agent", "admin"]
    assert admin_forms.invite_roles("admin") == ["agent"]


def test_the_snippet_is_the_exact_tag():
    assert (
        admin_forms.snippet("https://chat.example", "shop_1")
        == '<script src="https://chat.example/widget/shop_1.js" async></script>'
    )


def test_lists_split_on_lines_commas_and_spaces():
    assert admin_forms.split_list("https://a.example\n https://b.example,https://c.example \n") == [
        "https://a.example",
        "https://b.example",
        "https://c.example",
    ]
    assert admin_forms.split_list(" ,\n ") == []


def test_hours_read_day_runs_and_round_trip():
    spans, problem = admin_forms.parse_hours("mon-wed 09:00-17:00\n\nsat 10:00-14:00")
    assert problem == ""
    assert [s["day"] for s in spans] == ["mon", "tue", "wed", "sat"]
    assert spans[0] == {"day": "mon", "opens": "09:00", "closes": "17:00"}
    again, _ = admin_forms.parse_hours(admin_forms.hours_text(spans))
    assert again == spans
    wrapped, _ = admin_forms.parse_hours("FRI-mon 08:00-12:00")
    assert [s["day"] for s in wrapped] == ["fri", "sat", "sun", "mon"]


def test_hours_say_which_line_does_not_read():
    assert admin_forms.parse_hours("mon 09:00-17:00\nmonday 9-5")[1] == (
        'Line 2: write it like "mon-fri 09:00-17:00".'
    )
    assert admin_forms.parse_hours("tue 18:00-09:00")[1] == "Line 1: closes before it opens."
    assert admin_forms.parse_hours("") == ([], "")


def test_the_widget_form_sends_every_field_and_no_hours_when_off():
    body, problems = admin_forms.widget_change(form(languages="EN es"), {})
    assert problems == {}
    assert body["languages"] == ["en", "es"]
    assert body["business_hours"] is None
    assert body["color"] == "#2563eb" and body["position"] == "right"
    assert body["assistant_name"] == "Ada" and body["avatar_url"] is None  # no avatar
    body, _ = admin_forms.widget_change(form(avatar_url=" /a.png "), {})
    assert body["avatar_url"] == "/a.png"


def test_the_widget_form_catches_typos_by_field():
    _, problems = admin_forms.widget_change(
        form(color="blue", languages="en, fr", title=" ", assistant_name=""), {}
    )
    assert sorted(problems) == ["assistant_name", "color", "languages", "title"]
    assert "fr" in problems["languages"]
    _, problems = admin_forms.widget_change(form(languages="es"), {})
    assert list(problems) == ["default_language"]
    _, problems = admin_forms.widget_change(form(languages="en en"), {})
    assert problems["languages"] == "Name each language once."
    _, problems = admin_forms.widget_change(form(hours_on=True, weekly="mon 9-5"), {})
    assert sorted(problems) == ["time_zone", "weekly"]


def test_the_away_message_edited_is_the_default_languages():
    current = {"business_hours": {"away_messages": {"es": "Volvemos pronto", "en": "Back soon"}}}
    values = form(hours_on=True, time_zone="Europe/Madrid", weekly="mon-fri 09:00-17:00")
    body, problems = admin_forms.widget_change(dict(values, away_message="Gone fishing"), current)
    assert problems == {}
    hours = body["business_hours"]
    assert hours["away_messages"] == {"es": "Volvemos pronto", "en": "Gone fishing"}
    assert hours["time_zone"] == "Europe/Madrid" and len(hours["weekly"]) == 5
    assert hours["collect_email"] is True
    body, _ = admin_forms.widget_change(values, current)
    assert body["business_hours"]["away_messages"] == {"es": "Volvemos pronto"}
    assert current["business_hours"]["away_messages"]["en"] == "Back soon"  # not changed


def test_site_and_canned_forms():
    body, problems = admin_forms.site_change(
        " Shop ", "https://shop.example\nhttp://localhost:3000"
    )
    assert problems == {}
    assert body == {
        "name": "Shop",
        "allowed_origins": ["https://shop.example", "http://localhost:3000"],
    }
    assert list(admin_forms.site_change("", "")[1]) == ["name"]
    body, problems = admin_forms.canned_change(" /Refund ", "Refunds", " Five days. ")
    assert problems == {}
    assert body == {"shortcut": "refund", "title": "Refunds", "text": "Five days."}
    _, problems = admin_forms.canned_change("two words", "", "")
    assert sorted(problems) == ["shortcut", "text", "title"]
    assert list(admin_forms.canned_change("-x", "T", "t")[1]) == ["shortcut"]
    assert list(admin_forms.canned_change("x" * 33, "T", "t")[1]) == ["shortcut"]


def test_uploads_by_name_and_size():
    assert admin_forms.upload_format("FAQ.MD") == "markdown"
    assert admin_forms.upload_format("page.htm") == "html"
    assert admin_forms.upload_format("notes.txt") == "text"
    assert admin_forms.upload_format("manual.pdf") is None
    assert admin_forms.upload_format(".md") is None  # a hidden file, no name
    assert admin_forms.upload_problem("a.md", 10) == ""
    assert "only Markdown" in admin_forms.upload_problem("a.pdf", 10)
    assert admin_forms.upload_problem("a.md", admin_forms.MAX_UPLOAD_BYTES + 1) == (
        "a.md: larger than 2 MB."
    )
    assert admin_forms.upload_problem("a.md", 0) == "a.md: the file is empty."
    assert admin_forms.upload_url("returns.md") == "upload:returns.md"


def test_refusals_land_beside_their_field():
    assert admin_forms.field_of(
        "business_hours.time_zone: Value error, 'Mars/Olympus' is not a time zone", WIDGET_FIELDS
    ) == ("time_zone", "'Mars/Olympus' is not a time zone")
    assert admin_forms.field_of(
        "business_hours.weekly.0: Value error, mon 18:00-09:00: closes before it opens",
        WIDGET_FIELDS,
    ) == ("weekly", "Mon 18:00-09:00: closes before it opens")
    # A check across fields (no path) names its field first.
    assert admin_forms.field_of(
        "body: Value error, default_language must be one of languages", WIDGET_FIELDS
    ) == ("default_language", "Default_language must be one of languages")
    assert admin_forms.field_of(
        "shortcut /hi is taken on this site", admin_forms.CANNED_FIELDS
    ) == (
        "shortcut",
        "Shortcut /hi is taken on this site",
    )
    assert admin_forms.field_of("unknown: Extra inputs are not permitted", WIDGET_FIELDS) == (
        "",
        "Extra inputs are not permitted",
    )


def test_refusals_in_words():
    assert admin_forms.refusal(0, None) == "Can't reach the server. Please try again."
    assert admin_forms.refusal(
        409, {"code": "conflict", "message": "a site keeps at least one owner"}
    ) == ("A site keeps at least one owner.")
    assert admin_forms.refusal(403, None) == "Only the site's admins may do this."
    assert admin_forms.refusal(502, "x") == "That did not work (HTTP 502). Please try again."
