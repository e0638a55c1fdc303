"""The bilingual operator text: its value is the console form the engine, the store and the CLI
used before (so checklist answers keyed by a point and answers matched by a prompt's opening words
still find theirs), its two sides are what a display shows, and strings written the house way
("中文 (English)", "中文 / English") are read into both."""

from __future__ import annotations

import copy
import json
import pickle
import re

from procedures.engine import OperatorPrompt, Progress, RunFinished, StepStarted, Text, bilingual, pick
from procedures.engine.context import REPEAT, VOID
from procedures.engine.entry import EntryRejected, parse_entry
from procedures.engine.steps import ChecklistStep


def test_value_is_the_console_form_and_each_side_is_kept() -> None:
    t = Text("重新测量", "measure again")
    assert t == "重新测量 (measure again)" and {t: 1}["重新测量 (measure again)"] == 1
    assert (t.pick("zh"), t.pick("en")) == ("重新测量", "measure again")
    assert Text("外观检查") == "外观检查" and Text("外观检查").pick("en") == "外观检查"  # no English: Chinese
    keyed = Text.keyed("加油机显示金额", "displayed amount")
    assert keyed == "加油机显示金额" and keyed.en == "displayed amount"
    assert json.dumps({"p": t}, ensure_ascii=False) == '{"p": "重新测量 (measure again)"}'


def test_pickle_copy_and_format_keep_both_languages() -> None:
    t = Text("时段 {i} 电价", "price of tariff period {i}", console="时段 {i} 电价 (price of tariff period {i})")
    for clone in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t)):
        assert isinstance(clone, Text) and (clone.zh, clone.en, str(clone)) == (t.zh, t.en, str(t))
    filled = t.format(i=2)
    assert (filled.zh, filled.en, str(filled)) == ("时段 2 电价", "price of tariff period 2",
                                                   "时段 2 电价 (price of tariff period 2)")
    label = Text.keyed("Q2 第1次", "Q2 run 1")
    about = Text("读数 ({l})", "reading ({l})", console="读数 ({l})").format(l=label)
    assert (about.zh, about.en, str(about)) == ("读数 (Q2 第1次)", "reading (Q2 run 1)", "读数 (Q2 第1次)")


def test_house_convention_strings_are_read_into_both() -> None:
    point = bilingual("外观无破损，封印完好 / housing intact, seals intact")
    assert (point.zh, point.en) == ("外观无破损，封印完好", "housing intact, seals intact")
    assert point == "外观无破损，封印完好 / housing intact, seals intact"  # the key on disk unchanged
    fault = bilingual("步骤 clock 出错 (step failed): ValueError: x")
    assert fault.en == "step failed: ValueError: x" and fault.zh == "步骤 clock 出错: ValueError: x"
    both = bilingual("检定条件不满足 (test condition not met): 流量超出 (flow out of range)")
    assert both.en == "test condition not met: flow out of range"
    assert both.zh == "检定条件不满足: 流量超出"
    assert pick("Imax (32 A, cosφ=1)", "zh") == "Imax (32 A, cosφ=1)"  # a parenthesis of its own stays
    # a gloss after a whole sentence translates all of it (the warning a real post on profile 0 raises)
    warning = bilingual("警告：安全等级 0，未加密 (warning: security profile 0, no encryption)")
    assert warning.en == "warning: security profile 0, no encryption" and warning.zh == "警告：安全等级 0，未加密"
    assert bilingual("reference: 读取功率 (read power): 超时 5 s (no answer within 5 s)").en == \
        "reference: read power: no answer within 5 s"
    assert pick("表位 3 (SIMGM0003) 外观 (appearance)", "zh") == "表位 3 (SIMGM0003) 外观"  # a serial is no gloss
    assert pick("表位 3 (SIMGM0003) 外观 (appearance)", "en") == "表位 3 (SIMGM0003) appearance"
    assert pick("电量 (kWh)", "zh") == "电量 (kWh)"
    # the drivers write English first, Chinese after
    fault = bilingual("reference: 10.0.0.5:502: cannot connect — check the cable (检查网线、电源和地址)")
    assert fault.en == "reference: 10.0.0.5:502: cannot connect — check the cable"
    assert fault.zh == "reference: 10.0.0.5:502: 检查网线、电源和地址"
    assert bilingual("只有中文").en == ""  # nothing invented: a display shows the Chinese
    assert pick("plain English", "zh") == "plain English"


def test_every_event_text_is_bilingual() -> None:
    """A plain string given to an event's text field is made a Text (read by the convention)."""
    prompt = OperatorPrompt(run_id="r", step_key="s", prompt_id="p", kind="choice",
                            text="检定条件不满足 (test condition not met): x", items=(REPEAT, VOID, "其他 (other)"))
    assert isinstance(prompt.text, Text) and prompt.text.en == "test condition not met: x"
    assert [i.en for i in prompt.items] == ["measure again", "void this run", "other"]
    assert prompt.items[1] is VOID  # a Text given stays itself: the answer is the option
    assert isinstance(prompt.error, Text) and prompt.error == ""
    assert Progress(run_id="r", step_key="s", fraction=0.5, message="走字 (register test): 1/2").message.en == \
        "register test: 1/2"
    assert RunFinished(run_id="r", status="void", message="作废 (void)").message.en == "void"
    step = ChecklistStep("appearance", "外观及功能检查", "appearance", ["铭牌 / nameplate"], title_en="Appearance")
    started = StepStarted(run_id="r", step_key=step.key, title=step.title_text, index=0, total=1)
    assert (started.title.zh, started.title.en) == ("外观及功能检查", "Appearance")


def test_a_refused_entry_says_why_in_both_languages() -> None:
    for text, unit, en in (("12x", "degC", "unknown unit “x”; enter in °C"), ("abc", "V", "“abc” is not a number"),
                           ("99", "degC", "99 °C is out of the permitted range [-25, 55] °C"),
                           ("3 kg", "V", "wrong unit: “kg” cannot be converted to V")):
        try:
            parse_entry(text, unit, -25, 55)
        except EntryRejected as e:
            assert e.reason.en == en, e.reason.en
            assert not re.search(r"[A-Za-z]{4,}", e.reason.zh), e.reason.zh  # the Chinese side has no gloss
            assert str(e).startswith(e.reason.zh.split(" ")[0])  # the console form: Chinese first
        else:
            raise AssertionError(f"{text!r} was accepted")
