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
