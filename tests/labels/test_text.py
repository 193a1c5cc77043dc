"""Line breaking for mixed Chinese and Latin text."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from labels.fonts import FontChoice
from labels.text import ELLIPSIS, fit, fit_line, wrap


def test_chinese_breaks_anywhere_latin_at_spaces(font: FontChoice) -> None:
    lines = wrap("含汞废荧光灯管破碎后应密封 Fluorescent tubes containing mercury", font.name, 10, 80)
    assert all(stringWidth(line, font.name, 10) <= 80 for line in lines)
    assert "".join(lines).replace(" ", "") == "含汞废荧光灯管破碎后应密封Fluorescenttubescontainingmercury"
    assert any(line in ("Fluorescent", "Fluorescent tubes") for line in lines)


def test_closing_punctuation_never_starts_a_line(font: FontChoice) -> None:
    text = "一二三四五六七八九，十一二三四五六七八。九十）"
    for width in range(30, 140, 7):
        for line in wrap(text, font.name, 10, width):
            assert line[0] not in "，。）", (width, line)


def test_overlong_word_is_split_and_newlines_kept(font: FontChoice) -> None:
    lines = wrap("A" * 60 + "\n第二段", font.name, 10, 100)
    assert lines[-1] == "第二段"
    assert "".join(lines[:-1]) == "A" * 60
    assert wrap("", font.name, 10, 100) == [""]


def test_fit_shrinks_to_the_floor_then_truncates(font: FontChoice) -> None:
    short = fit("感染性废物", font.name, 100, 1, 12, 9)
    assert (short.size, short.lines, short.truncated) == (12, ("感染性废物",), False)
    shrunk = fit("感染性废物感染性废物", font.name, 100, 1, 12, 9)
    assert 9 <= shrunk.size < 12 and not shrunk.truncated
    cut = fit("感染性废物" * 10, font.name, 100, 2, 12, 9)
    assert cut.size == 9 and cut.truncated and len(cut.lines) == 2
    assert cut.lines[-1].endswith(ELLIPSIS)
    assert all(stringWidth(line, font.name, 9) <= 100 for line in cut.lines)
    one = fit_line("  HAZARDOUS \n WASTE ", font.name, 200, 10, 8)
    assert one.lines == ("HAZARDOUS WASTE",)
