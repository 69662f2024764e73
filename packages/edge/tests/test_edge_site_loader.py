"""`/widget/{site}.js`: the loader with the site's look and config inlined, on both runtimes."""

from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import unquote

import pytest

from helpway.edge.routes import site_loader
from helpway.shared import rest


def _boot(body: str) -> dict[str, Any]:
    start = body.index("var BOOT = ") + len("var BOOT = ")
    boot: dict[str, Any] = json.JSONDecoder().raw_decode(body, start)[0]
    return boot


def test_accept_language_is_ranked_by_weight_then_order() -> None:
    header = "pt-BR;q=0.8, es, en;q=0.8, *;q=0.5, th;q=0, fr;q=bad"
    assert site_loader.browser_languages(header) == ["es", "pt-BR", "en"]
    assert site_loader.browser_languages("") == []


def test_the_placeholder_gets_the_sites_look_and_config() -> None:
    config = rest.WidgetConfig(
        site_id="shop",
        title="Shop",
        greeting="Hi </script>",
        greetings={"es": "¡Hola!"},
        color="#075",
        assistant_name="Bot",
        languages=["en", "es"],
        launcher_text="Ayuda",
        agents_online=True,
    )
    served = site_loader.inlined("a;\nvar BOOT = null;\nb;", config, ["es-MX", "en"])
    assert served.isascii()  # "¡" and any U+2028 are \u escapes, never raw in the script
    boot = _boot(served)
    assert boot["site"] == "shop"
    assert boot["look"]["label"] == "Abrir chat" and boot["look"]["text"] == "Ayuda"
    assert ":host{--hw-accent:#075}" in boot["look"]["css"]
    inlined = json.loads(unquote(boot["frame"].removeprefix("&config=")))
    assert inlined["greeting"] == "Hi </script>" and inlined["greetings"] == {"es": "¡Hola!"}
    assert "agents_online" not in inlined  # presence comes with the session
    with pytest.raises(ValueError):
        site_loader.inlined("no placeholder", config, [])


async def test_the_sites_loader_is_served_and_revalidated(api: Any) -> None:
    answer = await api.http.get(
        "/widget/demo.js", headers={"accept-language": "en", "accept-encoding": "gzip"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Accept-Language" in answer.headers["vary"]
    boot = _boot(answer.text)
    assert boot["site"] == "demo" and boot["look"]["label"] == "Open chat"
    assert json.loads(unquote(boot["frame"].removeprefix("&config=")))["greeting"].startswith(
        "Hi! Ask me anything"
    )
    # The rest is the built loader itself.
    assert answer.text.startswith("/*! Helpway chat widget loader */")
    tag = answer.headers["etag"]
    again = await api.http.get(
        "/widget/demo.js", headers={"accept-language": "en", "if-none-match": tag}
    )
    assert again.status_code == 304 and again.headers["etag"] == tag
    raw = await api.http.get("/widget/demo.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.headers["etag"] == tag
    assert gzip.compress(raw.content) and raw.text == answer.text
    missing = await api.http.get("/widget/nope.js")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
