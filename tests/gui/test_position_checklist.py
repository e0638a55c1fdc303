"""A checklist over bench positions is a grid answered 全部符合，除… with the exceptions clicked, and
the engine gets back what it always got: each of its lines → confirmed. Lines as the regulations ask
them (bench_steps.confirm_positions: "表位 7 (SIMEM0007): <point>") are recognised; any other checklist
stays a list of boxes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from gui.views.position_checklist import common_point, position_lines
from gui.views.prompt_panel import PromptPanel
from procedures.engine import OperatorPrompt

POINT = "铭牌标志、封印、显示器及接线端子完好 / nameplate, seals, display and terminals intact"


def _lines(n: int) -> tuple[str, ...]:
    return tuple(f"表位 {p} (SIMEM{p:04d}): {POINT}" for p in range(1, n + 1))


def test_bench_lines_are_recognised_and_others_are_not() -> None:
    lines = position_lines(_lines(3))
    assert lines is not None and [(p.position, p.serial, p.point) for p in lines] == [
        (1, "SIMEM0001", POINT), (2, "SIMEM0002", POINT), (3, "SIMEM0003", POINT)]
    assert common_point(lines) == POINT
    bare = position_lines(("表位 4 (SIMGM0004)", "表位 5 (SIMGM0005)"))  # JJG 577: the points are in the title
    assert bare is not None and [p.position for p in bare] == [4, 5] and common_point(bare) == ""
    assert position_lines(("铭牌完整", "无破损")) is None
    assert position_lines(("表位 1 (A): x", "外壳完好")) is None  # one line names no position
    assert position_lines(("表位 1 (A): x", "表位 1 (A): y")) is None  # a position twice
    assert position_lines(()) is None


def _panel(qtbot: QtBot) -> tuple[PromptPanel, list[tuple[str, Any]]]:
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    answers: list[tuple[str, Any]] = []
    panel.answered.connect(lambda pid, a: answers.append((pid, a)))
    return panel, answers


def test_all_conform_except_two_positions(qtbot: QtBot) -> None:
    panel, answers = _panel(qtbot)
    items = _lines(96)
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="appearance", prompt_id="p1", kind="checklist",
                                     text="外观检查", items=items))
    assert panel.grid.isVisible() and panel.boxes == [] and panel.grid.count() == 96
    assert panel.lines() == list(items) and POINT.split(" / ")[0] in panel.check_title.text()  # Chinese mode: its Chinese
    assert panel.check_all.text() == "全部符合，除…(&Y)"
    assert "未确认 (按不符合提交): 表位 1, 2, 3" in panel.check_summary.text()
    qtbot.mouseClick(panel.check_all, Qt.MouseButton.LeftButton)
    for pos in (7, 90):  # the exceptions, clicked on their tiles
        item = panel.grid.item(pos - 1)
        panel.grid.scrollToItem(item)
        qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=panel.grid.visualItemRect(item).center())
    assert panel.grid.item(6).text() == "7\n✗ 不符合" and panel.grid.item(7).text() == "8\n✓ 符合"
    assert panel.check_summary.text() == "符合 94 · 不符合: 表位 7, 90"
    qtbot.mouseClick(panel.check_ok, Qt.MouseButton.LeftButton)
    pid, answer = answers[-1]
    assert pid == "p1" and list(answer) == list(items)  # every line of the engine, in its order
    assert [line for line, ok in answer.items() if not ok] == [items[6], items[89]]


def test_grid_by_keyboard_space_enter_escape(qtbot: QtBot) -> None:
    panel, answers = _panel(qtbot)
    items = _lines(4)
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="ac_voltage", prompt_id="p2", kind="checklist",
                                     text="交流电压试验", items=items))
    assert panel.grid.hasFocus() or panel.focusWidget() is panel.grid
    qtbot.keyClick(panel.grid, Qt.Key.Key_Space)  # position 1: 未确认 → 符合
    qtbot.keyClick(panel.grid, Qt.Key.Key_Right)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Space)  # position 2: 符合
    qtbot.keyClick(panel.grid, Qt.Key.Key_Space)  # position 2: → 不符合
    assert panel.grid.positions(True) == [1] and panel.grid.positions(False) == [2]
    assert panel.grid.positions(None) == [3, 4]
    qtbot.keyClick(panel.grid, Qt.Key.Key_Escape)  # the panel clears every mark
    assert panel.grid.positions(None) == [1, 2, 3, 4] and not answers
    qtbot.keyClick(panel.grid, Qt.Key.Key_Space)
    qtbot.keyClick(panel.grid, Qt.Key.Key_Return)  # Enter submits; unmarked positions go as not confirmed
    assert answers == [("p2", {items[0]: False, items[1]: True, items[2]: False, items[3]: False})]


def test_an_ordinary_checklist_keeps_its_boxes(qtbot: QtBot) -> None:
    panel, answers = _panel(qtbot)
    panel.show_prompt(OperatorPrompt(run_id="r", step_key="appearance", prompt_id="p3", kind="checklist",
                                     text="外观及功能检查", items=("铭牌完整", "无破损")))
    assert not panel.grid.isVisible() and [b.text() for b in panel.boxes] == ["铭牌完整", "无破损"]
    assert panel.check_all.text() == "全部确认(&Y)" and panel.check_summary.text() == "符合 0 · 未勾选 2 (按不符合提交)"
    panel.boxes[1].setChecked(True)
    qtbot.mouseClick(panel.check_ok, Qt.MouseButton.LeftButton)
    assert answers == [("p3", {"铭牌完整": False, "无破损": True})]
