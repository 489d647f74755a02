"""The review app through starlette's TestClient: token, no client paths, save / resume /
conflict, editing geometry, pick similar, export."""

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st
from starlette.testclient import TestClient

from geobfdt.cli import main
from geobfdt.geometry import amplitude_m, trace_depth_m
from geobfdt.io import write_npz
from geobfdt.io.picks import read_picks, write_picks_csv
from geobfdt.review.app import COOKIE, build_app
from geobfdt.review.session import ReviewSession
from geobfdt.io.names import safe_stem
from geobfdt.io.review_file import read_review, review_paths
from geobfdt.review.store import ReviewStore
from geobfdt.well import Pick, Well

TOKEN = "s3cret-token"
RADIUS_M = 0.1


def small_well(name="W1") -> Well:
    depth = 100.0 + np.arange(1000) * 0.01
    rng = np.random.default_rng(0)
    return Well(name=name, depth_m=depth, azimuth_deg=(np.arange(36) + 0.5) * 10.0,
                image=rng.lognormal(size=(1000, 36)).astype(np.float32), radius_m=np.full(1000, RADIUS_M))


PICKS = [Pick(101.0, 30.0, 90.0, "fracture", 0.9, well="W1"), Pick(103.0, 10.0, 200.0, "bedding", 0.7, well="W1"),
         Pick(106.0, 45.0, 300.0, "fracture", 0.8, well="W1")]
CANDIDATES = [Pick(101.5, 32.0, 95.0, "fracture", 0.2), Pick(101.8, 70.0, 270.0, "fracture", 0.3),
              Pick(108.0, 30.0, 90.0, "fracture", 0.25)]


def make_session(folder: Path, picks=PICKS, candidates=CANDIDATES, name="W1") -> ReviewSession:
    path, intervals = review_paths(folder, name)
    return ReviewSession(well=small_well(name), store=ReviewStore(path, intervals, list(picks)),
                         candidates=list(candidates), out_dir=folder, stem=name)


@pytest.fixture
def session(tmp_path):
    return make_session(tmp_path)


@pytest.fixture
def client(session):
    c = TestClient(build_app(session, TOKEN))
    assert c.get(f"/?token={TOKEN}").status_code == 200  # sets the cookie, as the printed URL does
    return c


def version(client) -> dict:
    return {"If-Match": f'"{client.get("/api/state").json()["version"]}"'}


def test_every_request_needs_the_token(session):
    c = TestClient(build_app(session, TOKEN))
    for url in ["/", "/static/app.js", "/static/style.css", "/api/state", "/api/well",
                "/api/tile?zoom=100&index=0&cmap=gray&window=0.6"]:
        assert c.get(url).status_code == 403, url
        assert c.get(url + ("&" if "?" in url else "?") + "token=wrong").status_code == 403, url
    assert c.post("/api/picks", json={"points": [[0, 101], [120, 101], [240, 101]]}).status_code == 403
    assert c.get("/api/state", headers={"X-GeoBFDT-Token": TOKEN}).status_code == 200
    page = c.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "data-pick-id" not in page.text  # picks come from the API
    assert page.cookies.get(f"{COOKIE}_80") == TOKEN  # named after the port: reviews side by side keep theirs
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=Strict" in page.headers["set-cookie"]
    assert c.get("/static/app.js").status_code == 200  # the cookie now carries it
    tile = c.get("/api/tile?zoom=100&index=0&cmap=gray&window=0.6")
    assert tile.status_code == 200 and tile.content.startswith(b"\x89PNG")


def test_no_endpoint_reaches_a_path_from_the_client(client, tmp_path):
    before = sorted(p.name for p in tmp_path.iterdir())
    for url in ["/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/app.js/../../store.py",
                "/api/tile?zoom=100&index=0&cmap=../../x&window=0.6", "/api/tile?zoom=100&index=-1&cmap=gray&window=0.6",
                "/api/tile?zoom=7&index=0&cmap=gray&window=0.6"]:
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert b"root:" not in response.content
    for fmt in ["../../evil", "%2e%2e%2fevil", "csv"]:
        assert client.post(f"/api/export/{fmt}").status_code in (400, 404)
    assert client.patch("/api/picks/..%2F..%2Fx", json={"status": "accepted"}, headers=version(client)).status_code == 404
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@given(st.text(max_size=40))
def test_review_file_names_stay_in_their_folder(name):
    stem = safe_stem(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", stem) and not stem.startswith(".")
    for path in review_paths("/data/out", name):
        assert path.parent == Path("/data/out") and path.name.startswith(stem)


def test_well_name_from_the_file_is_sanitised(tmp_path):
    session = make_session(tmp_path, name="../../etc/x y")
    assert session.store.path.parent == tmp_path and session.store.path.name == "_.._etc_x_y_reviewed.csv"
    assert session.export("geobfdt").parent == tmp_path


def test_changes_are_saved_at_once_and_resume(client, session, tmp_path):
    assert client.patch("/api/picks/p1", json={"status": "rejected"}, headers=version(client)).status_code == 200
    assert client.patch("/api/picks/p2", json={"type": "fracture"}, headers=version(client)).status_code == 200
    assert client.patch("/api/picks/p3", json={"status": "accepted"}, headers=version(client)).status_code == 200
    assert client.post("/api/intervals", json={"top_m": 100.5, "bottom_m": 104.0}, headers=version(client)).status_code == 200
    on_disk = {rp.pick_id: rp for rp in read_review(session.store.path, session.store.intervals_path).picks}
    assert [on_disk[i].status for i in ("p1", "p2", "p3")] == ["rejected", "edited", "accepted"]
    assert on_disk["p2"].pick.type == "fracture" and on_disk["p2"].reviewed_at
    # a new server on the same files resumes, whatever picks it is handed
    resumed = make_session(tmp_path, picks=[])
    state = TestClient(build_app(resumed, TOKEN)).get("/api/state", headers={"X-GeoBFDT-Token": TOKEN}).json()
    assert {p["id"]: p["status"] for p in state["picks"]} == {"p1": "rejected", "p2": "edited", "p3": "accepted"}
    assert state["intervals"] == [[100.5, 104.0]]
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries


def test_undo_redo(client, session):
    client.delete("/api/picks/p2", headers=version(client))
    assert [p["id"] for p in client.get("/api/state").json()["picks"]] == ["p1", "p3"]
    state = client.post("/api/undo", headers=version(client)).json()["state"]
    assert [p["id"] for p in state["picks"]] == ["p1", "p2", "p3"] and state["can_redo"]
    assert [rp.pick_id for rp in read_review(session.store.path).picks] == ["p1", "p2", "p3"]
    state = client.post("/api/redo", headers=version(client)).json()["state"]
    assert [p["id"] for p in state["picks"]] == ["p1", "p3"]


def test_a_stale_tab_gets_409_and_changes_nothing(client, session):
    stale = version(client)
    assert client.patch("/api/picks/p1", json={"status": "accepted"}, headers=stale).status_code == 200
    saved = session.store.path.read_bytes()
    response = client.patch("/api/picks/p1", json={"status": "rejected"}, headers=stale)
    assert response.status_code == 409
    assert response.json()["state"]["picks"][0]["status"] == "accepted"  # the current state, to reload
    assert client.patch("/api/picks/p1", json={"status": "rejected"}).status_code == 409  # no version: refused too
    assert session.store.path.read_bytes() == saved


def test_a_second_server_on_the_same_file_is_a_conflict_too(client, session, tmp_path):
    other = make_session(tmp_path)
    other_version = other.store.version
    client.patch("/api/picks/p1", json={"status": "rejected"}, headers=version(client))
    other_client = TestClient(build_app(other, TOKEN), headers={"X-GeoBFDT-Token": TOKEN})
    response = other_client.patch("/api/picks/p1", json={"status": "accepted"}, headers={"If-Match": other_version})
    assert response.status_code == 409 and response.json()["state"]["picks"][0]["status"] == "rejected"


def test_three_clicks_give_the_sinusoid_through_them(client):
    depth, dip, azimuth = 104.2, 35.0, 250.0
    phi = np.array([20.0, 150.0, 280.0])
    z = trace_depth_m(depth, dip, azimuth, RADIUS_M, phi)
    body = client.post("/api/picks", json={"points": np.c_[phi, z].tolist(), "type": "bedding"},
                       headers=version(client)).json()
    pick = next(p for p in body["state"]["picks"] if p["id"] == body["id"])
    assert pick["status"] == "manual" and pick["type"] == "bedding" and body["id"] == "p4"
    assert pick["depth_m"] == pytest.approx(depth) and pick["dip_deg"] == pytest.approx(dip)
    assert pick["azimuth_deg"] == pytest.approx(azimuth)
    bad = client.post("/api/picks", json={"points": [[10, 101], [10, 101.1], [10, 101.2]]}, headers=version(client))
    assert bad.status_code == 400 and "azimuth" in bad.json()["error"]


def test_dragging_sets_depth_amplitude_and_azimuth(client, session):
    amp = float(amplitude_m(40.0, RADIUS_M))
    body = client.patch("/api/picks/p1", json={"depth_m": 101.3, "amplitude_m": amp, "azimuth_deg": 10.0},
                        headers=version(client)).json()
    p1 = body["state"]["picks"][0]
    assert (p1["status"], p1["depth_m"], p1["azimuth_deg"]) == ("edited", pytest.approx(101.3), pytest.approx(10.0))
    assert p1["dip_deg"] == pytest.approx(40.0)
    # dragged past the centre line: the same curve with the dip azimuth turned round
    p1 = client.patch("/api/picks/p1", json={"depth_m": 101.3, "amplitude_m": -amp, "azimuth_deg": 10.0},
                      headers=version(client)).json()["state"]["picks"][0]
    assert p1["azimuth_deg"] == pytest.approx(190.0) and p1["dip_deg"] == pytest.approx(40.0)
    outside = client.patch("/api/picks/p1", json={"depth_m": 500.0, "amplitude_m": amp, "azimuth_deg": 0.0},
                           headers=version(client))
    assert outside.status_code == 400


def test_pick_similar_proposes_near_similar_candidates_once(client, session):
    client.patch("/api/picks/p1", json={"status": "accepted"}, headers=version(client))
    found = client.get("/api/similar/p1").json()["candidates"]
    assert [c["id"] for c in found] == ["c1"]  # c2 is another plane, c3 too far
    body = client.post("/api/candidates/c1", json={"decision": "accepted"}, headers=version(client)).json()
    new = next(p for p in body["state"]["picks"] if p["id"] == body["id"])
    assert new["status"] == "accepted" and new["depth_m"] == pytest.approx(101.5) and new["score"] == pytest.approx(0.2)
    assert client.get("/api/similar/p1").json()["candidates"] == []  # in the review now: not proposed again
    assert client.post("/api/candidates/c99", json={"decision": "accepted"}, headers=version(client)).status_code == 404


def test_export_every_format_from_the_page(client, session, tmp_path):
    client.patch("/api/picks/p2", json={"status": "rejected"}, headers=version(client))
    for fmt, name in [("geobfdt", "W1_reviewed_picks.csv"), ("geolog", "W1_reviewed_picks_geolog.csv"),
                      ("wellcad", "W1_reviewed_picks_wellcad.csv"), ("dlis", "W1_reviewed_picks.dlis")]:
        response = client.post(f"/api/export/{fmt}")
        assert response.status_code == 200 and response.headers["x-written-to"] == name
        assert (tmp_path / name).read_bytes() == response.content
        back = read_picks(tmp_path / name)
        assert [round(p.depth_m, 3) for p in back] == [101.0, 106.0], fmt  # the rejected pick is left out
        assert [p.type for p in back] == ["fracture", "fracture"]


def test_dlis_export_reads_back_with_dlisio(client, tmp_path):
    from dlisio import dlis

    client.post("/api/export/dlis")
    with dlis.load(str(tmp_path / "W1_reviewed_picks.dlis")) as (lf, *_):
        curves = lf.object("FRAME", "DIPS").curves()
        assert lf.origins[0].well_name == "W1"
    np.testing.assert_allclose(curves["DEPT"], [101.0, 103.0, 106.0])
    np.testing.assert_allclose(curves["DIP"], [30.0, 10.0, 45.0])
    np.testing.assert_allclose(curves["AZIM"], [90.0, 200.0, 300.0])
    assert curves["TYPE"].tolist() == [1, 2, 1]


def test_cli_export_and_bad_input(tmp_path, capsys):
    write_npz(small_well(), tmp_path / "W1.npz")
    write_picks_csv(tmp_path / "W1_picks.csv", PICKS)
    out = tmp_path / "out"
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "W1_picks.csv"), "--out", str(out),
                 "--export", "wellcad"]) == 0
    assert len(read_picks(out / "W1_reviewed_picks_wellcad.csv")) == 3
    assert (out / "W1_reviewed.csv").is_file()
    capsys.readouterr()
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "nope.csv"), "--export", "dlis"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.csv" in err
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "W1_picks.csv"), "--port", "70000"]) == 2
    # reopened with --picks, the review resumes: said, since that file's picks are not read
    write_picks_csv(tmp_path / "other.csv", PICKS[:1])
    capsys.readouterr()
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "other.csv"), "--out", str(out),
                 "--export", "geobfdt"]) == 0
    assert "resuming" in capsys.readouterr().err and len(read_picks(out / "W1_reviewed_picks.csv")) == 3


def test_picks_of_another_well_are_refused_and_some_outside_are_said(tmp_path, capsys):
    """Another well's picks were reviewed and exported under this well's name without a word."""
    write_npz(small_well(), tmp_path / "W1.npz")
    write_picks_csv(tmp_path / "far.csv", [replace(p, depth_m=p.depth_m + 500.0) for p in PICKS])
    write_picks_csv(tmp_path / "some.csv", [*PICKS, replace(PICKS[0], depth_m=50.0)])
    out = tmp_path / "out"
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "far.csv"), "--out", str(out),
                 "--export", "geobfdt"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none of its 3 picks" in err and not out.exists()
    assert main(["review", str(tmp_path / "W1.npz"), "--picks", str(tmp_path / "some.csv"), "--out", str(out),
                 "--export", "geobfdt"]) == 0
    assert "1 of 4 picks" in capsys.readouterr().err
    assert len(read_picks(out / "W1_reviewed_picks.csv")) == 4


def test_without_picks_the_model_picks_and_keeps_its_near_misses_as_candidates(tmp_path, monkeypatch):
    import argparse

    import torch

    from conftest import tiny_config
    from geobfdt.commands.review import build_session
    from geobfdt.model import build_model
    from geobfdt.model.checkpoint import save_model

    cfg = tiny_config()
    torch.manual_seed(0)
    # an untrained model scores everything near 0.01: floor and thresholds scaled to match
    monkeypatch.setattr("geobfdt.review.similar.CANDIDATE_FLOOR", 0.008)
    save_model(build_model(cfg.model), cfg, tmp_path / "tiny.safetensors", threshold=(0.012, 0.012))
    write_npz(small_well(), tmp_path / "W1.npz")
    args = argparse.Namespace(well=str(tmp_path / "W1.npz"), picks=None, model=str(tmp_path / "tiny.safetensors"),
                              out=str(tmp_path / "out"), export=None, device="cpu", image_channel=None,
                              bit_size_in=None, max_image_gib=None, ram_image_gib=None,
                              investigation_depth_in=None)
    session = build_session(args)
    auto = [rp.pick for rp in session.store.review.picks]
    assert all(rp.status == "auto" for rp in session.store.review.picks)
    assert auto and all(p.score >= 0.012 for p in auto)
    assert session.candidates and all(0.008 <= c.score < 0.012 for c in session.candidates)
    assert session.store.path == tmp_path / "out" / "W1_reviewed.csv"


def test_read_picks_leaves_out_the_rejected_picks_of_a_review_file(client, session):
    client.patch("/api/picks/p2", json={"status": "rejected"}, headers=version(client))
    assert [p.depth_m for p in read_picks(session.store.path)] == [101.0, 106.0]
    assert len(read_review(session.store.path).picks) == 3


@pytest.fixture(scope="module")
def bare_session(tmp_path_factory):
    return make_session(tmp_path_factory.mktemp("bare"), picks=[], candidates=[])


@given(depth=st.floats(101.0, 108.0), dip=st.floats(0.0, 80.0), azimuth=st.floats(0.0, 359.9),
       start=st.floats(0.0, 359.9), gaps=st.tuples(st.floats(40.0, 140.0), st.floats(40.0, 140.0)))
def test_any_three_points_on_a_trace_give_back_its_plane(bare_session, depth, dip, azimuth, start, gaps):
    phi = np.mod(start + np.array([0.0, gaps[0], gaps[0] + gaps[1]]), 360.0)
    pick = bare_session.pick_from_points(np.c_[phi, trace_depth_m(depth, dip, azimuth, RADIUS_M, phi)], "fracture")
    assert pick.depth_m == pytest.approx(depth, abs=1e-6) and pick.dip_deg == pytest.approx(dip, abs=1e-4)
    if dip > 0.1:  # the azimuth of a flat plane is undefined
        assert min(abs(pick.azimuth_deg - azimuth), 360 - abs(pick.azimuth_deg - azimuth)) < 1e-3


# ---------------------------------------------------------------- malformed requests: 4xx, never 500

def test_malformed_bodies_are_400_with_a_message(client, session):
    """The cases of issue 31: wrong-typed geometry and deep nesting answered 500."""
    headers = {**version(client), "Content-Type": "application/json"}
    cases = [("PATCH", "/api/picks/p1", {"depth_m": "x", "amplitude_m": 1, "azimuth_deg": 1}, "depth_m"),
             ("PATCH", "/api/picks/p1", {"status": "accepted", "type": "bedding"}, "expected status | type"),
             ("PATCH", "/api/picks/p1", {"depth_m": 101.0, "amplitude_m": True, "azimuth_deg": 1}, "amplitude_m"),
             ("POST", "/api/picks", {"depth_m": 101.0, "amplitude_m": 0.01, "azimuth_deg": float("inf")},
              "azimuth_deg"),
             ("POST", "/api/picks", {"points": [[0, 101], [120, 101]]}, "three"),
             ("POST", "/api/picks", {"points": [[0, 101], [120, 101], [240, 101]], "type": "fault"}, "type"),
             ("POST", "/api/intervals", {"top_m": None, "bottom_m": 104.0}, "top_m"),
             ("POST", "/api/intervals", {"top_m": 10.0, "bottom_m": 20.0}, "outside the well"),
             ("POST", "/api/candidates/c1", {"decision": ["accepted"]}, "decision")]
    for method, url, body, named in cases:
        response = client.request(method, url, content=json.dumps(body), headers=headers)
        assert response.status_code == 400 and named in response.json()["error"], (url, body, response.text)
    for raw, named in [("[" * 10_000 + "]" * 10_000, "nested"), ('{"a":' * 5000 + "1" + "}" * 5000, "nested"),
                       (" " * 70_000 + "{}", "limit"), ("{not json", "not JSON"), (b"\xff\xfe", "UTF-8"),
                       ("", "not JSON")]:
        response = client.patch("/api/picks/p1", content=raw, headers=headers)
        assert response.status_code == 400 and named in response.json()["error"], raw[:20]
    assert client.patch("/api/picks/p9", json={"status": "accepted"}, headers=headers).status_code == 404
    assert client.put("/api/picks/p1", json={"status": "accepted"}, headers=headers).status_code == 405
    assert [p["status"] for p in client.get("/api/state").json()["picks"]] == ["auto"] * 3  # nothing changed


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    c = TestClient(build_app(make_session(tmp_path_factory.mktemp("fuzz")), TOKEN))
    assert c.get(f"/?token={TOKEN}").status_code == 200
    return c


FIELD_NAMES = ["depth_m", "amplitude_m", "azimuth_deg", "top_m", "bottom_m", "type", "status", "decision", "points"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.text(max_size=10)
    | st.sampled_from(["fracture", "bedding", "accepted", "rejected", 101.5, -1e308, 0]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=10)
BODIES = (st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=4).map(lambda b: json.dumps(b).encode())
          | JSON_VALUES.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64)
          | st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n))
ENDPOINTS = [("POST", "/api/picks"), ("PATCH", "/api/picks/{id}"), ("DELETE", "/api/picks/{id}"),
             ("POST", "/api/intervals"), ("POST", "/api/candidates/{cid}"), ("POST", "/api/undo"),
             ("POST", "/api/redo"), ("GET", "/api/similar/{id}"), ("POST", "/api/export/{fmt}")]


@given(endpoint=st.sampled_from(ENDPOINTS), body=BODIES, stale=st.booleans(),
       pick_id=st.sampled_from(["p1", "p2", "p3", "p4", "p99", "x", "c1"]),
       cid=st.sampled_from(["c1", "c2", "c3", "c4", "c0", "p1", "cx"]), fmt=st.sampled_from(["geobfdt", "csv", "x"]))
def test_random_request_bodies_never_answer_500(fuzz_client, endpoint, body, stale, pick_id, cid, fmt):
    method, url = endpoint
    current = fuzz_client.get("/api/state").json()["version"]
    headers = {"If-Match": '"stale"' if stale else f'"{current}"', "Content-Type": "application/json"}
    response = fuzz_client.request(method, url.format(id=pick_id, cid=cid, fmt=fmt), content=body, headers=headers)
    assert response.status_code < 500
    if 400 <= response.status_code < 500 and method != "GET" and "export" not in url:
        assert response.json()["error"]
    assert fuzz_client.get("/api/state").status_code == 200  # the review file still reads


@given(params=st.dictionaries(st.sampled_from(["zoom", "index", "cmap", "window", "token"]),
                              st.text(max_size=12) | st.sampled_from(["100", "0", "-1", "nan", "1e400", "9" * 5000,
                                                                      "gray", "0.6"]), max_size=4))
def test_random_tile_queries_never_answer_500(fuzz_client, params):
    assert fuzz_client.get("/api/tile", params=params).status_code in (200, 400, 403)
