"""A site's widget settings (languages, theme, business hours) and the e-mail a visitor leaves
outside those hours, on both adapters (SQLite and the D1 double)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from helpway.shared import frames
from helpway.store import conversations, data_rights, sites, visitors
from helpway.store.database import Database

HOURS = {
    "time_zone": "Asia/Jakarta",
    "weekly": [{"day": "mon", "opens": "09:00", "closes": "17:00"}],
    "away_messages": {"es": "Volvemos el lunes."},
}


def jakarta(text: str) -> int:
    wall = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("Asia/Jakarta"))
    return int(wall.timestamp() * 1000)


async def test_settings_round_trip_and_the_served_config_decides_the_hours(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    settings = sites.SiteConfig.model_validate(
        {
            "title": "Tienda",
            "greetings": {"es": "¡Hola!", "ar": "مرحبا"},
            "default_language": "es",
            "languages": ["es", "en", "ar"],
            "position": "left",
            "launcher_text": "Ayuda",
            "avatar_url": "https://cdn.example/ana.png",
            "business_hours": HOURS,
        }
    )
    await sites.update_site(db, "shop", config=settings)
    site = await sites.get_site(db, "shop")
    assert site is not None and site.config == settings

    monday_noon = site.widget_config(jakarta("2026-12-07 12:00"))
    assert monday_noon.open and monday_noon.next_open_at is None
    assert not monday_noon.collect_email  # only asked for while the team is away
    sunday = site.widget_config(jakarta("2026-12-06 12:00"))
    assert not sunday.open and sunday.collect_email
    assert sunday.next_open_at == jakarta("2026-12-07 09:00")
    assert sunday.away_messages == {"es": "Volvemos el lunes."}
    assert (sunday.position, sunday.launcher_text, sunday.languages) == (
        "left",
        "Ayuda",
        ["es", "en", "ar"],
    )
    assert sunday.greetings["ar"] == "مرحبا" and sunday.default_language == "es"


async def test_a_stored_value_todays_rules_refuse_takes_its_default(db: Database) -> None:
    await db.run(
        "INSERT INTO sites (id, name, config, created_at) VALUES ('old', 'Old', ?, 0)",
        ('{"title": "Old shop", "color": "red; background: url(x)"}',),
    )
    site = await sites.get_site(db, "old")
    assert site is not None
    assert site.config.title == "Old shop" and site.config.color == "#2563eb"


async def test_a_stored_text_from_before_the_text_rule_keeps_the_site_up(db: Database) -> None:
    """A title or greeting saved before typed fields were held to `wire.LINE`/`wire.TEXT`
    takes its default; the others stay."""
    await db.run(
        "INSERT INTO sites (id, name, config, created_at) VALUES ('older', ?, ?, 0)",
        ("a\x00b", '{"title": " ", "greeting": "hi\\u0007", "assistant_name": "Sam"}'),
    )
    site = await sites.get_site(db, "older")
    assert site is not None and site.name == "a\x00b"
    assert (site.config.title, site.config.greeting) == ("Help", "Hi! How can we help?")
    assert site.config.assistant_name == "Sam"


async def test_the_visitors_email_is_kept_exported_and_shown_in_the_inbox(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    visitor, token = await visitors.create_visitor(db, "shop")
    conversation = await conversations.create_conversation(db, "shop", visitor.id)
    message = frames.Message(
        type="message", seq=1, id="m1", author=visitor.author(), text="Hola", created_at=5
    )
    summary = await conversations.apply_entries(db, conversation.id, [message])
    assert summary is not None and summary.visitor_email is None

    await visitors.set_email(db, visitor.id, "ana@example.com", now=7)
    resolved = await visitors.resolve_visitor(db, token)
    assert resolved is not None and resolved.email == "ana@example.com"
    [row] = await conversations.inbox(db, ["shop"])
    assert row.visitor_email == "ana@example.com"
    exported = await data_rights.export_visitor(db, visitor.id)
    assert exported is not None
    assert exported["visitor"]["email"] == "ana@example.com"
    assert exported["visitor"]["email_at"] == 7
