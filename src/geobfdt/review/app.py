"""The review web app (Starlette): the page, its static files, image tiles and a JSON API.

Every request needs the session's token, as Jupyter does: `?token=...` once (the URL the
command prints; the answer sets an HttpOnly, SameSite=Strict cookie named after the port),
then the cookie, or a `X-GeoBFDT-Token` header. No endpoint takes a file path: the only files touched are the
ones the session was built with (the well, the picks, the review file, exports into the
output folder under fixed names). Every request body is checked before use (review/requests.py:
size, JSON depth, keys, types, ranges): a malformed one is a 400 with a message, an unknown pick
a 404, never a 500. Changes carry the review version they were made against
in `If-Match`; a stale one gets 409 and the current state, so two tabs never silently
overwrite each other.
"""

from __future__ import annotations

import secrets
from importlib import resources
from threading import Lock

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from geobfdt.errors import GeoBFDTError
from geobfdt.review.requests import ADD_PICK, DECISION, EDIT_PICK, INTERVAL, MAX_BODY_BYTES, read_body
from geobfdt.review.session import ReviewSession
from geobfdt.review.store import ConflictError
from geobfdt.review.tiles import COLOUR_MAPS, DEFAULTS, TILE_PX, WINDOWS_M, ZOOMS_PX_PER_M, TileRenderer

COOKIE = "geobfdt_review_token"
HEADER = "x-geobfdt-token"
STATIC = {"app.js": "text/javascript", "style.css": "text/css", "index.html": "text/html"}


class TokenGate:
    """ASGI middleware: refuse any request without the token (query, cookie or header)."""

    def __init__(self, app, token: str):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        # one cookie per port: cookies ignore ports, and two reviews open side by side must not
        # overwrite each other's token
        cookie_name = f"{COOKIE}_{(scope.get('server') or ('', 0))[1]}"
        offered = [request.query_params.get("token"), request.cookies.get(cookie_name), request.headers.get(HEADER)]
        if not any(t and secrets.compare_digest(t.encode(), self.token.encode()) for t in offered):
            response = PlainTextResponse("403: missing or wrong token; open the URL `geobfdt review` printed", 403)
            return await response(scope, receive, send)
        if request.query_params.get("token") and request.cookies.get(cookie_name) != self.token:
            async def send_with_cookie(message):
                if message["type"] == "http.response.start":
                    cookie = f"{cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message["headers"] = list(message.get("headers", [])) + [(b"set-cookie", cookie.encode())]
                await send(message)
            return await self.app(scope, receive, send_with_cookie)
        return await self.app(scope, receive, send)


def _static(name: str) -> bytes:
    return resources.files("geobfdt.review").joinpath("static", name).read_bytes()


def build_app(session: ReviewSession, token: str, warm_tiles: int = 0) -> Starlette:
    """warm_tiles: render that many tiles of the well top now, so the page opens on cached ones."""
    tiles = TileRenderer(session.well)
    tiles.warm(warm_tiles)
    lock = Lock()  # handlers run in a thread pool; the review is changed by one at a time

    def error(status: int, message: str, **extra) -> JSONResponse:
        return JSONResponse({"error": message, **extra}, status)

    def answer(request: Request, change) -> JSONResponse:
        """Run a change against the If-Match version; the new state (and ETag) or an error."""
        version = request.headers.get("if-match", "").strip('"') or None
        with lock:
            try:
                result = change(version)
            except ConflictError as exc:
                return error(409, str(exc), state=session.state())
            except KeyError as exc:
                return error(404, f"no pick or candidate {exc.args[0]!r}")
            except GeoBFDTError as exc:
                return error(400, str(exc))
            state = session.state()
        body = {"state": state} if result is None else {"state": state, "id": result}
        return JSONResponse(body, headers={"ETag": f'"{state["version"]}"'})

    async def body_of(request: Request, schema) -> dict:
        """The body checked against its endpoint's schema (review/requests.py); read no further than
        its size limit, so a huge body is refused without being held whole."""
        raw, size = [], 0
        async for chunk in request.stream():
            raw.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
        return read_body(b"".join(raw), schema)

    def static_route(name):
        async def handler(request):
            return Response(_static(name), media_type=STATIC[name], headers={"Cache-Control": "no-cache"})
        return handler

    async def well(request):
        return JSONResponse({**session.well_info(), "tile_px": TILE_PX, "zooms": list(ZOOMS_PX_PER_M),
                             "colour_maps": list(COLOUR_MAPS), "windows_m": list(WINDOWS_M), "defaults": DEFAULTS})

    async def state(request):
        with lock:
            current = session.state()
        return JSONResponse(current, headers={"ETag": f'"{current["version"]}"'})

    def tile(request):
        q = request.query_params
        try:
            png = tiles.png(int(q.get("zoom", "")), int(q.get("index", "")), q.get("cmap", ""),
                            float(q.get("window", "")))
        except (ValueError, GeoBFDTError) as exc:
            return PlainTextResponse(f"bad tile request ({exc})", 400)
        return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    async def add_pick(request):
        try:
            body = await body_of(request, ADD_PICK)
        except GeoBFDTError as exc:
            return error(400, str(exc))

        def change(version):
            kind = body.get("type", "fracture")
            if "points" in body:
                pick = session.pick_from_points(body["points"], kind)
            else:
                pick = session.pick_from_geometry(body.get("depth_m"), body.get("amplitude_m"),
                                                   body.get("azimuth_deg"), kind)
            return session.add(version, pick)
        return await _run(answer, request, change)

    async def edit_pick(request):
        pick_id = request.path_params["pick_id"]
        try:
            body = await body_of(request, EDIT_PICK)
        except GeoBFDTError as exc:
            return error(400, str(exc))

        def change(version):  # the body holds exactly one of these (EDIT_PICK)
            if "status" in body:
                return session.set_status(version, pick_id, body["status"])
            if "type" in body:
                return session.set_type(version, pick_id, body["type"])
            return session.edit_geometry(version, pick_id, body["depth_m"], body["amplitude_m"], body["azimuth_deg"])
        return await _run(answer, request, change)

    async def delete_pick(request):
        pick_id = request.path_params["pick_id"]
        return await _run(answer, request, lambda version: session.delete(version, pick_id))

    async def add_interval(request):
        try:
            body = await body_of(request, INTERVAL)
        except GeoBFDTError as exc:
            return error(400, str(exc))
        return await _run(answer, request,
                          lambda version: session.mark_reviewed(version, body["top_m"], body["bottom_m"]))

    async def undo(request):
        return await _run(answer, request, lambda version: session.store.undo(version) and None)  # no id to return

    async def redo(request):
        return await _run(answer, request, lambda version: session.store.redo(version) and None)

    def similar(request):
        with lock:
            try:
                found = session.similar(request.path_params["pick_id"])
            except KeyError:
                return error(404, "no such pick")
        return JSONResponse({"candidates": found})

    async def decide(request):
        try:
            body = await body_of(request, DECISION)
        except GeoBFDTError as exc:
            return error(400, str(exc))
        cid = request.path_params["candidate_id"]
        return await _run(answer, request, lambda version: session.decide_candidate(version, cid, body["decision"]))

    def export(request):
        with lock:
            try:
                path = session.export(request.path_params["fmt"])
            except GeoBFDTError as exc:
                return error(400, str(exc))
            data = path.read_bytes()
        media = "application/octet-stream" if path.suffix == ".dlis" else "text/csv"
        return Response(data, media_type=media, headers={
            "Content-Disposition": f'attachment; filename="{path.name}"', "X-Written-To": path.name})

    routes = [Route("/", static_route("index.html")),
              Route("/static/app.js", static_route("app.js")),
              Route("/static/style.css", static_route("style.css")),
              Route("/api/well", well), Route("/api/state", state), Route("/api/tile", tile),
              Route("/api/picks", add_pick, methods=["POST"]),
              Route("/api/picks/{pick_id}", edit_pick, methods=["PATCH"]),
              Route("/api/picks/{pick_id}", delete_pick, methods=["DELETE"]),
              Route("/api/intervals", add_interval, methods=["POST"]),
              Route("/api/undo", undo, methods=["POST"]), Route("/api/redo", redo, methods=["POST"]),
              Route("/api/similar/{pick_id}", similar),
              Route("/api/candidates/{candidate_id}", decide, methods=["POST"]),
              Route("/api/export/{fmt}", export, methods=["POST"])]
    app = Starlette(routes=routes)
    app.add_middleware(TokenGate, token=token)
    return app


async def _run(answer, request, change):
    """Changes touch the disk: run them off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(answer, request, change)
