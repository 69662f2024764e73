"""The demo site's pages: a product landing page carrying the widget snippet, and its help
centre (`/help/<slug>`), rendered by the knowledge package so that the heading ids on the page
are exactly the anchors the assistant cites.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from helpway.knowledge.demo import demo_article, demo_articles, render_article_html
from helpway.shared import errors

from ..errors import ApiError
from .demo import PRODUCT, SITE_ID
from .live_reload import reload_script

TEMPLATES = Path(__file__).with_name("demo_site")
SNIPPET = f'<script src="/widget/{SITE_ID}.js" async></script>'


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


PAGE = _template("page.html")
LANDING = _template("landing.html")


def _page(request: Request, title: str, body: str) -> HTMLResponse:
    """Every page carries the snippet, so the chat follows the visitor into the help centre."""
    return HTMLResponse(
        PAGE.substitute(
            product=html.escape(PRODUCT),
            title=html.escape(title),
            body=body,
            snippet=SNIPPET + reload_script(request),
        )
    )


def _article_list() -> str:
    items = sorted(demo_articles(), key=lambda a: a.title.lower())
    links = "\n".join(
        f'  <li><a href="/help/{html.escape(a.slug)}">{html.escape(a.title)}</a></li>'
        for a in items
    )
    return f'<ul class="articles">\n{links}\n</ul>'


async def landing(request: Request) -> Response:
    return _page(
        request,
        "Your notes, everywhere",
        LANDING.substitute(product=html.escape(PRODUCT), articles=_article_list()),
    )


async def help_index(request: Request) -> Response:
    return _page(
        request, "Help centre", f"<h1>{html.escape(PRODUCT)} help centre</h1>\n{_article_list()}"
    )


async def help_article(request: Request) -> Response:
    article = demo_article(request.path_params["slug"])
    if article is None:
        raise ApiError(errors.NOT_FOUND, "no such help article")
    crumbs = '<p class="crumbs"><a href="/help/">Help centre</a></p>'
    return _page(
        request, article.title, f"{crumbs}\n<article>\n{render_article_html(article)}</article>"
    )


async def no_icon(request: Request) -> Response:
    """Browsers ask every origin for one; answering "none" keeps their consoles free of 404s."""
    return Response(status_code=204)


ROUTES: list[BaseRoute] = [
    Route("/", landing),
    Route("/favicon.ico", no_icon),
    Route("/help", help_index),
    Route("/help/", help_index),
    Route("/help/{slug}", help_article),
]
