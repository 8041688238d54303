"""The README and the docs pages: links resolve, benchmark blocks have a home, and the benchmark
writer refreshes the block in whichever page holds it."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ["tts", "talk", "music", "text_emotion", "train_throughput"]


def relative_links(page: Path) -> list[str]:
    """Markdown link and image targets outside code blocks that are not URLs or in-page anchors."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:|#", t)]


@pytest.mark.parametrize("page", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))])
def test_relative_links_point_to_files(page):
    path = ROOT / page if page == "README.md" else ROOT / "docs" / page
    missing = [t for t in relative_links(path) if not (path.parent / t.split("#")[0]).exists()]
    assert not missing, f"{page} links to missing files: {missing}"


def test_every_benchmark_block_lives_in_exactly_one_docs_page():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for name in BENCHMARKS:
        holders = [p.name for p in pages if f"<!-- results:{name} -->" in p.read_text()]
        assert len(holders) == 1, f"results:{name} is in {holders}"
        assert (ROOT / "benchmarks" / f"{name}.py").exists()


def test_benchmark_writer_refreshes_the_page_with_the_marker(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "benchmarks" / "common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# readme\n")
    page = tmp_path / "docs" / "x.md"
    page.write_text("before\n<!-- results:demo -->\nold\n<!-- /results:demo -->\nafter\n")
    monkeypatch.setattr(common, "ROOT", tmp_path)
    figure = tmp_path / "docs" / "figures" / "f.png"
    common.update_block("demo", lambda folder: f"new ![f]({figure.relative_to(folder).as_posix()})")
    assert page.read_text() == "before\n<!-- results:demo -->\nnew ![f](figures/f.png)\n<!-- /results:demo -->\nafter\n"
    assert (tmp_path / "README.md").read_text() == "# readme\n"
