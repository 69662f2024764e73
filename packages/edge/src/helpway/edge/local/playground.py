"""`/playground`: the widget in each theme, language and state on one page, for front-end work.

Local runtime only, like the demo pages. Each tile frames a tiny host page carrying the real
snippet for a playground site (seeded at start, idempotently, like the demo): a site speaks one
language only, so its tile shows that language whatever the browser's, and the states come from
the site too — away with e-mail capture (hours that never open), unavailable (a site id the edge
does not know), the launcher alone (not opened). Tiles open their panel themselves, so a change
to the widget shows in every state on one reload (`make dev` rebuilds it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from helpway.store import sites
from helpway.store.database import Database

from .demo import ORIGINS
from .live_reload import reload_script

NEVER_OPEN = {"time_zone": "UTC", "weekly": [], "collect_email": True}
AVATAR = "/playground/avatar.svg"


@dataclass(frozen=True)
class Tile:
    site_id: str
    caption: str
    settings: dict[str, Any] = field(default_factory=dict)
    opened: bool = True
    seeded: bool = True


# The site's own words in each tile's language (a real site writes these itself).
_WORDS = {
    "es": ("Ayuda", "Asistente"),
    "pt": ("Ajuda", "Assistente"),
    "id": ("Bantuan", "Asisten"),
    "th": ("ช่วยเหลือ", "ผู้ช่วย"),
    "ar": ("المساعدة", "المساعد"),
    "he": ("עזרה", "עוזר"),
}


def _one(lang: str, **settings: Any) -> dict[str, Any]:
    """Settings of a site that speaks `lang` only, so its tile does whatever the browser's."""
    title, assistant = _WORDS[lang]
    return {
        "languages": [lang],
        "default_language": lang,
        "title": title,
        "assistant_name": assistant,
        **settings,
    }


TILES = (
    Tile("pg-en", "English · default theme"),
    Tile(
        "pg-es",
        "Español · left, green, launcher text",
        _one(
            "es",
            color="#0f766e",
            position="left",
            launcher_text="¿Ayuda?",
            greetings={"es": "¡Hola! ¿En qué te ayudamos?"},
        ),
    ),
    Tile(
        "pg-pt",
        "Português · avatar",
        _one(
            "pt", color="#7c3aed", avatar_url=AVATAR, greetings={"pt": "Olá! Como podemos ajudar?"}
        ),
    ),
    Tile("pg-id", "Bahasa Indonesia", _one("id", color="#b91c1c", greetings={"id": "Halo!"})),
    Tile("pg-th", "ไทย", _one("th", color="#c2410c", greetings={"th": "สวัสดีค่ะ"})),
    Tile("pg-ar", "العربية · right to left", _one("ar", greetings={"ar": "مرحبًا! كيف نساعدك؟"})),
    Tile("pg-he", "עברית · right to left", _one("he", greetings={"he": "שלום! איך נוכל לעזור?"})),
    Tile("pg-away", "Away · e-mail capture", {"business_hours": NEVER_OPEN}),
    Tile(
        "pg-away-ar",
        "بعيد · Away, right to left",
        _one("ar", business_hours=NEVER_OPEN),
    ),
    Tile("pg-missing", "Unavailable · unknown site", seeded=False),
    Tile("pg-launcher", "Launcher only · not opened", {"launcher_text": "Chat"}, opened=False),
)


async def seed(db: Database) -> None:
    """Create the playground's sites if missing (an existing one is left as it is)."""
    for tile in TILES:
        if tile.seeded and await sites.get_site(db, tile.site_id) is None:
            await sites.create_site(
                db,
                name=f"Playground: {tile.caption}",
                site_id=tile.site_id,
                allowed_origins=ORIGINS,
                config=sites.SiteConfig.model_validate(tile.settings),
            )


_PAGE = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget playground · Helpway</title>
<link rel="icon" href="data:,">
<style>
  body {{ margin: 0; padding: 1.5rem; font: 15px/1.5 system-ui, sans-serif; background: #eef1f5;
         color: #1f2937; }}
  h1 {{ margin: 0 0 .25rem; font-size: 1.4rem; }}
  p {{ margin: 0 0 1rem; color: #4b5563; }}
  .tiles {{ display: grid; grid-template-columns: repeat(auto-fill, 520px); gap: 1.25rem; }}
  figure {{ margin: 0; }}
  figcaption {{ font-weight: 600; margin-bottom: .4rem; }}
  iframe {{ width: 520px; height: 720px; border: 1px solid #d0d7de; border-radius: 12px;
           background: #fff; }}
</style>
<h1>Widget playground</h1>
<p>The chat widget in each theme, language and state, from the current build (local edge only).
Each tile is a page carrying the real snippet for a playground site; open
<code>/playground/host?site=ID</code> alone to try one full size.</p>
<div class="tiles">
{tiles}
</div>
{reload}
</html>
"""

# The plain loader (`/widget.js` with `data-site`), not the per-site one: a tile's site may not
# exist (the "unavailable" state), where `/widget/SITE.js` would answer 404 and draw nothing.
_HOST = """<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Playground host · {site}</title>
<link rel="icon" href="data:,">
<body style="margin:0;font:14px system-ui,sans-serif;color:#6b7280;background:#fafafa">
<p style="margin:1rem">A host page for <code>{site}</code>.</p>
<script src="/widget.js" data-site="{site}" async></script>
{opener}
</body>
</html>
"""

# Clicks the launcher once the loader has drawn it (our own dev page; the widget needs no help).
_OPENER = """<script>
  (function open() {
    var host = document.querySelector("helpway-widget");
    var launcher = host && host.shadowRoot && host.shadowRoot.querySelector("button");
    if (launcher) launcher.click();
    else setTimeout(open, 50);
  })();
</script>"""

_AVATAR = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
    '<circle cx="32" cy="32" r="32" fill="#fde68a"/><circle cx="32" cy="26" r="11" fill="#92400e"/>'
    '<path d="M12 54c4-11 12-16 20-16s16 5 20 16" fill="#92400e"/></svg>'
)


async def playground(request: Request) -> Response:
    tiles = "\n".join(
        f"<figure><figcaption>{html.escape(tile.caption)}</figcaption>"
        f'<iframe data-tile="{tile.site_id}" title="{html.escape(tile.caption)}" '
        f'src="/playground/host?site={tile.site_id}&amp;open={int(tile.opened)}"></iframe></figure>'
        for tile in TILES
    )
    return HTMLResponse(_PAGE.format(tiles=tiles, reload=reload_script(request)))


async def host(request: Request) -> Response:
    known = {tile.site_id: tile for tile in TILES}
    tile = known.get(request.query_params.get("site", ""))
    if tile is None:
        return HTMLResponse("<!doctype html><title>No such tile</title>", status_code=404)
    opener = _OPENER if request.query_params.get("open") == "1" else ""
    return HTMLResponse(_HOST.format(site=tile.site_id, opener=opener))


async def avatar(request: Request) -> Response:
    return Response(_AVATAR, media_type="image/svg+xml")


ROUTES: list[BaseRoute] = [
    Route("/playground", playground),
    Route("/playground/host", host),
    Route(AVATAR, avatar),
]
