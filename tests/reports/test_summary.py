"""The 工作总结 as Word (reports/summary.py): the document opens with python-docx and holds the title,
the header fields, the numbered sections in order with their figures and tables, a yellow place to
write in each, the attachments and the notes; Chinese fonts are set for East Asian text."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from reports.summary import (
    TO_WRITE,
    Figure,
    FigureTable,
    SummaryDocument,
    SummarySection,
    render_docx,
    write_docx,
)

DOC = SummaryDocument(
    title="民用“三表”计量专项监督检查工作总结", as_of=date(2024, 10, 14), author="某县市场监督管理局",
    lines=("统计期间：2024年5月28日至2024年10月14日",),
    header=(("填报单位（盖章）", "某县市场监督管理局"), ("填报人", "")),
    sections=(
        SummarySection("基本情况", "组织开展情况", (Figure("台账在用计量器具（台）", 12, "台账"),),
                       (FigureTable("按类别", ("器具类别", "台账在用"), (("水表", 7), ("电能表", 5))),)),
        SummarySection("工作成效", "", (Figure("本期检定合格率", "75.0 %", "合格/检定"),)),
        SummarySection("工作建议"),
    ),
    attachments=("民用“三表”计量专项监督检查统计表",),
    notes=("本稿由简定工作站起草",),
)


def test_docx_opens_with_everything_in_order(tmp_path: Path) -> None:
    path = write_docx(DOC, tmp_path / "a" / "总结.docx")
    d = Document(str(path))
    paras = [p.text for p in d.paragraphs]
    assert paras[0] == DOC.title and d.paragraphs[0].style.name == "Title"
    assert d.core_properties.title == DOC.title and d.core_properties.author == "某县市场监督管理局"
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert heads == ["一、基本情况", "二、工作成效", "三、工作建议"]
    # a place to write under every heading, highlighted; an empty header field is one too
    marked = [p for p in d.paragraphs if p.text.startswith(TO_WRITE)]
    assert [p.text for p in marked] == [f"{TO_WRITE}组织开展情况", TO_WRITE, TO_WRITE]
    assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for p in marked for r in p.runs)
    assert f"填报人：{TO_WRITE}" in paras and "填报单位（盖章）：某县市场监督管理局" in paras
    # the figures table of 基本情况, then its own table; 工作成效's figure; 工作建议 has none
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]
    assert tables == [
        [["项目", "数值", "统计口径"], ["台账在用计量器具（台）", "12", "台账"]],
        [["器具类别", "台账在用"], ["水表", "7"], ["电能表", "5"]],
        [["项目", "数值", "统计口径"], ["本期检定合格率", "75.0 %", "合格/检定"]],
    ]
    assert "随附报表：" in paras and "民用“三表”计量专项监督检查统计表" in paras and "本稿由简定工作站起草" in paras
    # East Asian text set in 仿宋 (body) and 黑体 (headings), as official documents are
    normal = d.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia"))
    head = d.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert (normal, head) == ("仿宋", "黑体")


def test_render_gives_a_word_package() -> None:
    data = render_docx(DOC)
    assert data[:2] == b"PK"  # an Office Open XML zip
    assert Document(io.BytesIO(data)).paragraphs[0].text == DOC.title
