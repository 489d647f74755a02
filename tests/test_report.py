"""The demo's Markdown report: its tables score what they are given, and every figure it links exists."""

import re

from geobfdt.reports.markdown import write_report
from geobfdt.synth import synthesize_well


def test_report_scores_and_links_existing_figures(tmp_path):
    well, truth = synthesize_well(4, length_m=8.0, tool="fmi", name="R1")
    fractures_only = [p for p in truth if p.type == "fracture"]
    path = write_report(tmp_path, [well], {"R1": truth},
                        {"detector": {"R1": truth}, "hough": {"R1": fractures_only}}, ["A test corpus."])
    text = path.read_text()
    assert "A test corpus." in text
    per_well = {m: line for line in text.splitlines() for m in ("detector", "hough") if line.startswith(f"| R1 | fmi | {m} |")}
    assert per_well["detector"].split("|")[4:6] == [" 1.000 ", " 1.000 "]  # fracture and bedding F1
    assert per_well["hough"].split("|")[4].strip() == "1.000"
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 5  # the image with picks, then tadpoles, rose, stereonet, intensity
    for link in links:
        assert (tmp_path / link).read_bytes().startswith(b"\x89PNG"), link


def test_report_sets_each_wells_injection_recovery_beside_its_labels(tmp_path):
    """The demo's injection section: per well what inject-test says (implants recovered, false picks, picks
    lost) beside what the labels say (true planes found), from the reports it is given."""
    well, truth = synthesize_well(4, length_m=8.0, tool="fmi", name="R1")
    injection = {"R1": {"report": {"implants": 12, "false_picks_added": 3, "original_picks_lost_per_copy": 2.0,
                                   "original_picks": 40},
                        "against_truth": {"fracture": {"implants_recovered": 0.5, "true_planes_found": 0.75},
                                          "bedding": {"implants_recovered": None, "true_planes_found": 1.0}}}}
    text = write_report(tmp_path, [well], {"R1": truth}, {"detector": {"R1": truth}}, ["A test corpus."],
                        injection=injection).read_text()
    assert "| R1 | fmi | 12 | 0.50 / - | 0.75 / 1.00 | 3 | 2 of 40 |" in text
    assert text.index("## How far to trust") < text.index("## Wells")
    no_injection = write_report(tmp_path / "plain", [well], {"R1": truth}, {"detector": {"R1": truth}}, ["A."])
    assert "## How far to trust" not in no_injection.read_text()
