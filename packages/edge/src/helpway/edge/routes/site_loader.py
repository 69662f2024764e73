"""The loader served for one site, `/widget/{site_id}.js`: the widget's loader with that site's
look and config inlined, so the host page paints the launcher in the site's colours and the
panel greets without a config request (each round trip costs 150 to 300 ms far from the edge).

The built loader holds one placeholder, `var BOOT = null;`; this route puts the site's literal
there (`inlined`, pure). The launcher's label is said in the language the browser asks for
(`Accept-Language`, negotiated against the site's languages as the widget does), so the
answer varies by it. The config carries no presence (`agents_online`): it changes by the
minute and would change the ETag with it; the session brings it.

Caching: `no-cache` with an ETag of the exact bytes, so a page load revalidates (a 304 when
nothing changed) and the first load after the owner changes the site's config gets it. The
config is public: it is what the widget shows any visitor of the site; the session and the
socket still check the page's origin (a `<script>` request carries no Origin to check).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import sites
from helpway.widget.app import i18n, launcher

from ..errors import ApiError
from ..services import services

PLACEHOLDER = "var BOOT = null;"
CACHE_CONTROL = "no-cache"
CONTENT_TYPE = "text/javascript; charset=utf-8"
NOT_BUILT = "the widget is not built: run `uv run helpway build-widget`"


def browser_languages(header: str) -> list[str]:
    """The tags of an `Accept-Language` header, most wanted first (q=0 ones left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and weight > 0:
            ranked.append((-weight, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def inlined(template: str, config: rest.WidgetConfig, languages: list[str]) -> str:
    """The loader for the site of `config`, its look in the first of `languages` it speaks."""
    if template.count(PLACEHOLDER) != 1:
        raise ValueError("the built loader holds no single inline-config placeholder")
    served = config.model_dump(exclude={"agents_online"})
    lang = i18n.negotiate(languages, config.languages, config.default_language)
    boot = {
        "site": config.site_id,
        "look": launcher.look(served, i18n.text(lang, "open_chat")),
        "frame": "&config="
        + quote(json.dumps(served, separators=(",", ":"), sort_keys=True), safe=""),
    }
    literal = json.dumps(boot, separators=(",", ":"), sort_keys=True)  # ASCII: \u escapes
    return template.replace(PLACEHOLDER, "var BOOT = " + literal + ";")


def etag(body: bytes) -> str:
    """Weak: the same bytes are sent gzipped or not."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:24] + '"'


async def site_loader(request: Request) -> Response:
    site_id = request.path_params["site_id"]
    site = await sites.get_site(services(request).db, site_id)
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    template = await services(request).loader.template()
    if template is None:
        raise ApiError(errors.NOT_FOUND, NOT_BUILT)
    languages = browser_languages(request.headers.get("accept-language", ""))
    body = inlined(template, site.widget_config(), languages).encode()
    tag = etag(body)
    headers = {
        "etag": tag,
        "cache-control": CACHE_CONTROL,
        "vary": "Accept-Encoding, Accept-Language",
        "access-control-allow-origin": "*",
        "x-content-type-options": "nosniff",
    }
    if tag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=9, mtime=0)
        headers["content-encoding"] = "gzip"
    return Response(body, media_type=CONTENT_TYPE, headers=headers)


ROUTES = [Route("/widget/{site_id}.js", site_loader, methods=["GET", "HEAD"])]
