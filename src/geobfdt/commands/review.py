"""Review picks in a browser: accept, reject, edit, add; every change saved at once.

Starts a local web app on --host:--port and prints its URL, which carries a random token
(every request needs it). The page shows the image with the picks as sinusoids, a tadpole
track and a table of picks; keyboard shortcuts are listed under `?` (docs/review.md).

Changes go to <WELL>_reviewed.csv (the picks schema plus pick_id, status, reviewed_at) and
<WELL>_reviewed_intervals.csv (intervals marked reviewed) in --out (default: the folder of
--picks, else of the well); reopening resumes from them. Without --picks the model picks the
well first. The model's detections just below its threshold are offered by "pick similar"
(with --picks only when --model is given). `geobfdt train` reads review files as labels.

--features vugs breakouts finds those in the well first and draws them over the image (vugs as
circles, breakout lobes as bands, induced fractures as lines; the Features box or `v` toggles them).

--export FORMAT writes the reviewed picks (all but rejected) in that format into --out and
exits without serving.

Example:
  geobfdt review W1.dlis --picks out/W1_picks.csv
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from geobfdt.commands import add_device_option, add_reader_options, bounded_int, output_folder, reader_options
from geobfdt.commands.features import add_feature_option
from geobfdt.errors import GeoBFDTError, OptionError, PickFileError

HELP = "review, correct and complete picks in a browser (local web app)"


def add_arguments(p):
    from geobfdt.review.session import EXPORT_FORMATS

    p.add_argument("well", metavar="WELL", help="well file (DLIS, LAS, NPZ)")
    p.add_argument("--picks", metavar="P.csv", help="picks to review (GeoBFDT, Geolog, WellCAD CSV or DLIS dips; "
                   "default: the model picks the well)")
    p.add_argument("--model", metavar="RUN_OR_FILE", help="model for picking and for pick-similar candidates: a "
                   "run folder, a .safetensors file or 'default' (default: the shipped model, used only without --picks)")
    p.add_argument("--out", metavar="DIR", help="folder for the review file and exports (default: beside --picks, "
                   "else beside the well)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=bounded_int(0, 65535), default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--export", choices=EXPORT_FORMATS, metavar="FORMAT",
                   help=f"write the reviewed picks as FORMAT ({', '.join(EXPORT_FORMATS)}) into --out and exit")
    add_feature_option(p)
    add_device_option(p)
    add_reader_options(p)


def model_picks(well, spec, device):
    """(picks as predict chooses them, the other candidates) from one low-threshold run, scored as predict
    scores them."""
    from geobfdt.device import choose_device
    from geobfdt.model.checkpoint import class_thresholds, load_model
    from geobfdt.picking.picker import trusted
    from geobfdt.picking.trust import candidate_thresholds, written_score_chooses
    from geobfdt.picking.whole_well import pick_well_detr
    from geobfdt.review.similar import CANDIDATE_FLOOR
    from geobfdt.well import PICK_TYPES

    device = choose_device(device)
    model, header = load_model(spec, device)
    thresholds = class_thresholds(header.thresholds, len(PICK_TYPES))
    by_written = written_score_chooses(well, header.quality_scores)
    # as low as predict picks a class it chooses by the written score, so that its picks are all here
    floor = [min(CANDIDATE_FLOOR, f) for f in candidate_thresholds(thresholds, header.score_calibration, by_written)]
    found = pick_well_detr(well, model, header.config, floor, device=device, calibration=header.score_calibration)
    platt = [p.score or 0.0 for p in found]
    trusted(well, found, header, False)
    picks, candidates = [], []
    for p, before in zip(found, platt):
        k = PICK_TYPES.index(p.type)
        # a class predict chooses by the written score is split on it, the others on the thresholds' own scale
        if (p.score if by_written[k] else before) >= thresholds[k]:
            picks.append(p)
        elif before >= CANDIDATE_FLOOR:
            candidates.append(p)
    return picks, candidates


def build_session(args):
    from geobfdt.io import read_well
    from geobfdt.io.picks import read_picks
    from geobfdt.review.session import ReviewSession
    from geobfdt.io.names import safe_stem
    from geobfdt.io.review_file import review_paths
    from geobfdt.review.store import ReviewStore

    well = read_well(args.well, **reader_options(args))
    out = Path(args.out) if args.out else Path(args.picks or args.well).resolve().parent
    output_folder(out)
    stem = safe_stem(Path(args.well).stem)
    path, intervals_path = review_paths(out, stem)
    candidates = []
    if args.picks:
        picks = read_picks(args.picks, well=well.name)
        check_picks_in_well(picks, well, args.picks)
        if path.is_file():  # the store resumes the review; the file given is not what is shown
            print(f"geobfdt review: resuming {path}; the picks of {args.picks} are not read (move the review "
                  "file away to start over from them)", file=sys.stderr)
        if args.model and not args.export:
            candidates = model_picks(well, args.model, args.device)[1]
    elif path.is_file() and args.export:
        picks = []  # the review file holds them
    else:
        picks, candidates = model_picks(well, args.model or "default", args.device)
    store = ReviewStore(path, intervals_path, picks)
    overlays = None
    if getattr(args, "features", None) and not args.export:  # callers building args by hand may omit it
        from geobfdt.features.registry import FEATURES
        from geobfdt.review.session import features_overlay
        overlays = features_overlay([FEATURES[name](well, picks) for name in dict.fromkeys(args.features)])
    return ReviewSession(well=well, store=store, candidates=candidates, out_dir=out, stem=stem, features=overlays)


def check_picks_in_well(picks, well, path) -> None:
    """Picks none of which lie in the well's logged interval are another well's (a wrong file, or
    depths in other units): refused, where they would be reviewed and exported under this well's name;
    some outside it are said on stderr."""
    import numpy as np

    depth_m = np.array([p.depth_m for p in picks], float)
    top_m, bottom_m = float(np.min(well.depth_m)), float(np.max(well.depth_m))
    outside = int(np.count_nonzero((depth_m < top_m) | (depth_m > bottom_m)))
    where = f"{well.name}'s logged interval {top_m:.2f}-{bottom_m:.2f} m"
    if picks and outside == len(picks):
        raise PickFileError(f"{path}: none of its {len(picks)} picks ({depth_m.min():.2f}-{depth_m.max():.2f} m) "
                            f"lies in {where}: the picks of another well?")
    if outside:
        print(f"geobfdt review: warning: {outside} of {len(picks)} picks in {path} lie outside {where}",
              file=sys.stderr)


def bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections queue from now on, even before the app has started
    except OSError as exc:
        raise GeoBFDTError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    return sock


def run(args) -> int:
    import secrets

    if not 0 <= args.port <= 65535:
        raise OptionError(f"--port must lie between 0 and 65535, got {args.port}")
    session = build_session(args)
    if args.export:
        path = session.export(args.export)
        print(f"{session.well.name}: {args.export} export -> {path}")
        return 0

    import uvicorn
    from geobfdt.review.app import build_app

    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    app = build_app(session, token, warm_tiles=3)  # before the URL is shown: the page opens on cached tiles
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"reviewing {session.well.name}: {session.store.path}\n"
          f"open http://{shown_host}:{port}/?token={token}\n(Ctrl-C to stop; every change is already saved)",
          flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"geobfdt review: warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])
    return 0
