"""Visitor sessions: the widget's first call, which starts or resumes a visitor and hands it
the conversation to join; the widget's config before any session (so a page shows its theme
and language before anyone opens the chat); and the e-mail a visitor leaves outside business
hours."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import conversations, identity, sites, visitors
from helpway.store.database import Database
from helpway.store.sites import Site
from helpway.store.visitors import Visitor

from ..auth import bearer_token, check_page_origin, check_visitor_origin
from ..bodies import read_model, read_query
from ..errors import ApiError
from ..origins import origin_allowed
from ..services import services

MAX_USER_AGENT_CHARS = 512


async def visitor_session(request: Request) -> Response:
    """A returning visitor (a token of this site, live or expired within the refresh window)
    keeps its id and its open conversation, and gets its token renewed (a new one if it had
    expired); an unknown, long-expired or other site's token is not an error: the visitor
    simply starts afresh, as it would after clearing its storage.

    `resume_only` (the widget's frame without storage, asking on each page load whether the
    edge's cookie names a visitor): where nobody is resumed the answer is 204 and nothing is
    stored, so a stranger's page view makes no visitor. That answer comes before the identity
    checks: a page whose visitor is not signed in yet is not an error until they chat."""
    body = await read_model(request, rest.VisitorSessionRequest)
    db = services(request).db
    site = await sites.get_site(db, body.site_id)
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    if not origin_allowed(_page_origin(request, body.page_url), site.allowed_origins):
        raise ApiError(errors.FORBIDDEN, "this page's origin may not use the site's widget")
    framed = _from_frame(request)
    held = body.visitor_token or (request.cookies.get(visitor_cookie(site.id)) if framed else None)
    returning = await _returning_visitor(db, site.id, held)
    if returning is None and body.resume_only:
        return Response(status_code=204)
    user_id = _verified_user(site, body)
    if returning is not None and returning[0].user_id != user_id:
        # A token is only reused by the very user it was given to: user B on a browser that
        # user A (or an anonymous visitor) used starts afresh, and never sees A's conversation.
        if body.resume_only:
            return Response(status_code=204)
        returning = None
    user_agent = _user_agent(request)
    if returning is None:
        visitor, token = await visitors.create_visitor(
            db,
            site.id,
            locale=body.locale,
            page_url=body.page_url,
            user_id=user_id,
            time_zone=body.time_zone,
            user_agent=user_agent,
        )
    else:
        visitor, token = returning
        token = await visitors.renew_token(db, visitor, token)
        await visitors.touch_visitor(
            db,
            visitor.id,
            page_url=body.page_url,
            locale=body.locale,
            time_zone=body.time_zone,
            user_agent=user_agent,
        )
    conversation = await conversations.current_or_new_conversation(db, site.id, visitor.id)
    session = rest.VisitorSession(
        visitor_id=visitor.id,
        visitor_token=token,
        conversation_id=conversation.id,
        config=await served_config(request, site),
    )
    response = JSONResponse(session.model_dump())
    if framed:
        _keep_token(response, site.id, token)
    return response


# The visitor's token, kept for the widget's frame where the browser refuses it storage (a
# frame of another site than the page: Chromium, Safari and Firefox block or partition it).
# A partitioned cookie (CHIPS) of the edge's own origin: HttpOnly, so no script reads it, not
# even ours; partitioned by the page's top-level site, so a page of another site neither
# sends nor sees it; limited to this route, and used (and set) only for a request of the
# frame's, whose Origin is the edge's own: the host page can make its browser send the cookie,
# but such a request names the host's origin and resumes nobody (nor could its script read the
# answer: CORS gives a credentialed request no Access-Control-Allow-Credentials). API clients
# (no Origin, or another) are unaffected: no token in the body is a new visitor for them.
VISITOR_COOKIE_PATH = "/api/visitor/session"


def _from_frame(request: Request) -> bool:
    return request.headers.get("origin") == f"{request.url.scheme}://{request.url.netloc}"


def visitor_cookie(site_id: str) -> str:
    return "helpway_visitor_" + site_id


def _keep_token(response: Response, site_id: str, token: str | None) -> None:
    """Set (or, with None, remove) the site's visitor cookie on `response`. Written out here:
    the standard library knows `Partitioned` only from Python 3.14 (the Worker's, not ours)."""
    max_age = visitors.REFRESH_WINDOW_MS // 1000 if token else 0
    response.headers.append(
        "set-cookie",
        f"{visitor_cookie(site_id)}={token or ''}; Max-Age={max_age}; Path={VISITOR_COOKIE_PATH}"
        "; Secure; HttpOnly; SameSite=None; Partitioned",
    )


class ForgetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: rest.SiteId  # a cookie name is made of it: only the characters site ids have


async def forget_visitor(request: Request) -> Response:
    """`Helpway("reset")`: the browser forgets the site's visitor (its cookie; the frame drops
    its storage itself), so the next session starts a new one. Nothing is deleted on the edge:
    the conversation stays the agents'."""
    query = read_query(request, ForgetQuery)
    response = Response(status_code=204)
    _keep_token(response, query.site_id, None)
    return response


async def served_config(request: Request, site: Site) -> rest.WidgetConfig:
    """The site's widget config with its team's presence now: one in-process look locally, one
    RPC to the site's hub object on the Worker, carried in the answers the widget asks for
    anyway (the session, and the config it reads when it starts and when the panel opens)."""
    online = await services(request).inbox.anyone_online(site.id)
    return site.widget_config().model_copy(update={"agents_online": online})


def _user_agent(request: Request) -> str | None:
    """The browser's User-Agent header, for the agents' context panel; cut to a length worth
    storing (real ones are a few hundred characters)."""
    return request.headers.get("user-agent", "")[:MAX_USER_AGENT_CHARS] or None


class ConfigQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: rest.Id
    page_url: rest.Url | None = None


async def widget_config(request: Request) -> Response:
    """The site's widget config for a page its widget may run on: no visitor is made, so a
    page view that never opens the chat stores nothing."""
    query = read_query(request, ConfigQuery)
    site = await sites.get_site(services(request).db, query.site_id)
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    if not origin_allowed(_page_origin(request, query.page_url), site.allowed_origins):
        raise ApiError(errors.FORBIDDEN, "this page's origin may not use the site's widget")
    return JSONResponse((await served_config(request, site)).model_dump())


def _page_origin(request: Request, page_url: str | None) -> str | None:
    """The origin of the page the widget runs on. The widget runs in a frame the edge serves, so
    its requests carry the edge's own origin; the frame then names the page that framed it (its
    `page_url`, checked in the browser against `location.ancestorOrigins`)."""
    origin = request.headers.get("origin")
    if origin != f"{request.url.scheme}://{request.url.netloc}" or not page_url:
        return origin
    page = urlsplit(page_url)
    return f"{page.scheme}://{page.netloc}" if page.scheme and page.netloc else origin


def _verified_user(site: Site, body: rest.VisitorSessionRequest) -> str | None:
    """The user id the request proves (None: anonymous). A claimed user with a missing or
    wrong hash is refused, and so is an anonymous visitor on a site that enforces identity
    verification. A site without an identity secret cannot verify anyone: its visitors stay
    anonymous whatever they claim."""
    if body.user_hash is not None and body.user_id is None:
        raise ApiError(errors.INVALID, "user_hash: needs user_id")
    if body.user_id is None or site.identity_secret is None:
        if site.identity_required:
            raise ApiError(errors.FORBIDDEN, "this site requires a verified user")
        return None
    if body.user_hash is None or not identity.verified(
        site.identity_secret, body.user_id, body.user_hash
    ):
        raise ApiError(errors.FORBIDDEN, "user_hash does not verify user_id")
    return body.user_id


async def _returning_visitor(
    db: Database, site_id: str, token: str | None
) -> tuple[Visitor, str] | None:
    visitor = (
        None
        if token is None
        else await visitors.resolve_visitor(db, token, grace_ms=visitors.REFRESH_WINDOW_MS)
    )
    if visitor is None or token is None or visitor.site_id != site_id:
        return None
    return visitor, token


async def visitor_email(request: Request) -> Response:
    """The visitor (by their token) leaves an e-mail for the team to reply to; agents see it on
    the conversation's inbox row. A later one replaces it."""
    db = services(request).db
    visitor = await visitors.resolve_visitor(db, bearer_token(request))
    if visitor is None:
        raise ApiError(errors.UNAUTHORIZED, "unknown or expired visitor token")
    await check_visitor_origin(request, db, visitor.site_id)
    site = await sites.get_site(db, visitor.site_id)
    if site is not None and site.identity_required and visitor.user_id is None:
        raise ApiError(errors.FORBIDDEN, "this site requires a verified user")
    body = await read_model(request, rest.VisitorEmail)
    await visitors.set_email(db, visitor.id, body.email)
    return Response(status_code=204)


async def visitor_page(request: Request) -> Response:
    """The visitor (by their token) is on another page of the site now: a single-page app
    navigated without loading the widget again."""
    db = services(request).db
    visitor = await visitors.resolve_visitor(db, bearer_token(request))
    if visitor is None:
        raise ApiError(errors.UNAUTHORIZED, "unknown or expired visitor token")
    await check_visitor_origin(request, db, visitor.site_id)
    body = await read_model(request, rest.VisitorPage)
    # The page itself is on an origin the site allows, whoever asks: the agents see it.
    page = urlsplit(body.page_url)
    await check_page_origin(db, visitor.site_id, f"{page.scheme}://{page.netloc}")
    await visitors.touch_visitor(db, visitor.id, page_url=body.page_url)
    return Response(status_code=204)


ROUTES = [
    Route("/api/visitor/session", visitor_session, methods=["POST"]),
    Route("/api/visitor/session", forget_visitor, methods=["DELETE"]),
    Route("/api/visitor/config", widget_config, methods=["GET"]),
    Route("/api/visitor/email", visitor_email, methods=["POST"]),
    Route("/api/visitor/page", visitor_page, methods=["POST"]),
]
