"""Fixed sample records for previews, documentation and golden-file tests.

One JJG 1148-2022 AC charging post record (外观及功能检查, 工作误差 at three load points with two
readings each, 时钟时刻误差) in variants: passing or failing (工作误差 at Imin out of tolerance, and
still carrying a validity date the notice must suppress), at a bench position, with the demo logo and
signature images; the same post's in-service inspection half a year later (:func:`sample_inspection`:
the certificate it holds as found, no validity of its own); and a household water meter's
certificate, which states a service life instead of a validity (:func:`sample_water_record`).
Pure data: nothing here reads the clock or the environment.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from procedures.records import (
    AsFound,
    Condition,
    Contact,
    Environment,
    Institution,
    InstrumentInfo,
    ItemResult,
    MeasurementResult,
    People,
    SpecLine,
    StandardSetup,
    StandardUsed,
    Verdict,
    VerificationRecord,
)
from procedures.regulations.documents import kinds

__all__ = [
    "CST",
    "DEMO_LOGO",
    "DEMO_PEOPLE",
    "DEMO_PEOPLE_WITH_SIGNATURES",
    "sample_inspection",
    "sample_readings",
    "sample_record",
    "sample_water_record",
]

DEMO_LOGO = "reports/assets/demo_logo.png"
"""The demo logo, relative to the installation root (see :func:`reports.layout.resolve_asset`)."""

DEMO_PEOPLE = People(verifier="张伟", checker="李娜", approver="王建国")
"""Names only: the cover prints them on the signature lines."""

DEMO_PEOPLE_WITH_SIGNATURES = People(
    verifier="张伟",
    checker="李娜",
    approver="王建国",
    verifier_signature="reports/assets/signature_verifier.png",
    checker_signature="reports/assets/signature_checker.png",
    approver_signature="reports/assets/signature_approver.png",
)
"""With the demo signature images: the cover prints the images instead of the names."""

CST = timezone(timedelta(hours=8))
"""China Standard Time, the zone of the sample records' timestamps."""


def _work_error(
    readings: dict[str, tuple[tuple[float, float], str, Verdict]],
) -> tuple[MeasurementResult, ...]:
    return tuple(
        MeasurementResult(
            name="工作误差",
            label=label,
            unit="%",
            values=values,
            mean=sum(values) / len(values),
            rounded=rounded,
            mpe=1.0,
            verdict=verdict,
        )
        for label, (values, rounded, verdict) in readings.items()
    )


_AC_SETUP = StandardSetup(name="电动汽车交流充电桩检定装置", certificate_no="[2025]某社量标证字第017号",
                          valid_until=date(2029, 6, 30), certificate_kind="社会公用计量标准证书")
"""The 计量标准装置 of the AC sample: its standard meter is a main instrument; the time tester is not."""

_AC_SPEC: dict[str, Any] = {
    "specification": "220 V　32 A",
    "specs": (SpecLine("额定电压", "Rated voltage", "220 V"), SpecLine("额定电流", "Rated current", "32 A"),
              SpecLine("电能表常数", "Meter constant", "1000 imp/kWh"),
              SpecLine("充电接口", "Connector", "GB/T 20234.2 交流充电接口")),
    "parameters": {"voltage_v": 220.0, "imax_a": 32.0, "constant_imp_per_kwh": 1000.0,
                   "connector": "GB/T 20234.2 交流充电接口"},
}
"""The AC sample's specification as procedures/regulations/specs.py freezes it from the ledger."""


def sample_record(
    *,
    passing: bool = True,
    people: People | None = None,
    position: int | None = None,
    images: bool = False,
    adjustment_note: str = "",
) -> VerificationRecord:
    """A JJG 1148-2022 AC charging post record; ``passing=False`` fails 工作误差 at Imin.

    ``position`` makes it the record of one seat of a multi-position bench (station snapshot
    ``{"position": n}``, as bench/controller.py writes it); ``images`` configures the demo logo and
    signature PNGs of ``reports/assets``; ``adjustment_note`` fills 调整/修理情况.
    """
    imin: tuple[tuple[float, float], str, Verdict] = (
        ((0.03, 0.05), "0.0", Verdict.PASS) if passing else ((1.34, 1.42), "+1.4", Verdict.FAIL)
    )
    work = _work_error(
        {
            "Imax (32 A), cosφ=1": ((0.21, 0.23), "+0.2", Verdict.PASS),
            "Itr (16 A), cosφ=1": ((-0.16, -0.18), "-0.2", Verdict.PASS),
            "Imin (3.2 A), cosφ=1": imin,
        }
    )
    items = (
        ItemResult(
            key="appearance",
            name="外观及功能检查",
            name_en="Visual and functional inspection",
            clause="6.1",
            verdict=Verdict.PASS,
            note="铭牌标志齐全，显示及计费功能正常。",
            layout="check",
        ),
        ItemResult(
            key="operating_error",
            name="工作误差",
            name_en="Operating error",
            clause="5.1",
            verdict=Verdict.PASS if passing else Verdict.FAIL,
            results=work,
            layout="error_of_mean",
        ),
        ItemResult(
            key="clock_error",
            name="时钟时刻误差",
            name_en="Clock time error",
            clause="5.2",
            verdict=Verdict.PASS,
            layout="error",
            results=(
                MeasurementResult(
                    name="时钟时刻误差",
                    label="与北京时间比对",
                    unit="s",
                    values=(1.2,),
                    mean=1.2,
                    rounded="1.2",
                    mpe=5.0,
                    verdict=Verdict.PASS,
                ),
            ),
        ),
    )
    return VerificationRecord(
        run_id="run-2026-11-23-0042",
        record_no="YS2026-1123-0042",
        certificate_no="JDZ2026-11-0042",
        regulation_code="JJG 1148-2022",
        regulation_title="电动汽车交流充电桩",
        edition="2022",
        verification_type="首次检定",
        instrument=InstrumentInfo(
            name="电动汽车交流充电桩",
            model="ACP-7K-220",
            serial="AC20261107-0815",
            manufacturer="深圳市某某新能源科技有限公司",
            accuracy_class="1",
            client="某市公交集团有限公司充电站",
            measuring_range="220 V, (0.6~32) A",
            **_AC_SPEC,
        ),
        standards=(
            StandardUsed(
                name="交流充电桩检定仪",
                model="JDZ-AC3",
                serial="2025-0031",
                certificate_no="JLZ2025-0178",
                valid_until=date(2027, 3, 31),
                accuracy="0.05级",
                measuring_range="(0~300) V, (0.01~63) A",
                setup=_AC_SETUP.certificate_no,
            ),
            StandardUsed(
                name="卫星授时时钟测试仪",
                model="GT-200",
                serial="GT23110076",
                certificate_no="SJ2026-0315",
                valid_until=date(2027, 5, 14),
                accuracy="±0.01 s",
            ),
        ),
        environment=Environment(place="本所充电设施实验室", temperature_c=23.4, humidity_pct=46.0),
        items=items,
        verified_on=date(2026, 11, 23),
        valid_until=date(2029, 11, 22),
        institution=Institution(
            name="某市计量检定测试所",
            authorisation_no="(国)法计(2024)01023号",
            address="某市高新区科技路 88 号",
            postcode="710000",
            phone="029-8888 6666",
            email="jd@example.org",
            fax="029-8888 6667",
            logo_path=DEMO_LOGO if images else "",
            contacts=(Contact("业务咨询", "Enquiries", "赵业务", "029-8888 6668"), Contact("投诉", "Complaints", phone="029-8888 6669")),
            lookup_url="https://jd.example.org",
            seal_label="检定专用章",
        ),
        people=people if people is not None else (DEMO_PEOPLE_WITH_SIGNATURES if images else DEMO_PEOPLE),
        software_version="0.1.0",
        procedure_hash="sha256:9f2c4e61d0a7b3c58e1f2a9d4b6c7e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        reading_count=7,
        finished_at=datetime(2026, 11, 23, 15, 42, 10, tzinfo=CST),
        station={"name": "检定台 JD-B1", "position": position, "positions": 24} if position is not None else {},
        adjustment_note=adjustment_note,
        setups=(_AC_SETUP,),
    )


def sample_inspection(*, passing: bool = True) -> VerificationRecord:
    """The in-service inspection (使用中检查) of :func:`sample_record`'s post on 2027-05-18: a
    使用中检查结果通知书 that finds certificate JDZ2026-11-0042 valid until 2029-11-22 and states no
    validity of its own; ``passing=False`` fails 工作误差 at Imin."""
    cert = sample_record(passing=passing)
    return replace(
        cert,
        run_id="run-2027-05-18-0007",
        record_no="YS2027-0518-0007",
        certificate_no="JCZ2027-05-0007",
        verification_type="使用中检查",
        environment=Environment(place="某市公交集团有限公司充电站（现场）", temperature_c=26.1, humidity_pct=58.0),
        verified_on=date(2027, 5, 18),
        valid_until=None,
        finished_at=datetime(2027, 5, 18, 11, 5, 30, tzinfo=CST),
        document=kinds()["inspection"].info(),
        validity_rule="检定周期 3 年 (verification period)：JJG 1148-2022",
        as_found=AsFound(certificate_no="JDZ2026-11-0042", issuer=cert.institution.name, verified_on=date(2026, 11, 23),
                         valid_until=date(2029, 11, 22), status="有效 (valid)",
                         source="本机构检定记录 (this institution's verification records)"),
    )


def sample_water_record() -> VerificationRecord:
    """A JJG 162-2019 household water meter (DN 15, Q3 2.5 m³/h, class 2) at position 5 of a
    20-position gravimetric bench: first verification only, so its certificate states 使用期限至
    2032-11-22 (6 years, replaced when due) and no 有效期至."""
    def q(label: str, values: tuple[float, ...], rounded: str, mpe: float) -> MeasurementResult:
        return MeasurementResult(name="示值误差", label=label, unit="%", values=values, mean=sum(values) / len(values),
                                 rounded=rounded, mpe=mpe, verdict=Verdict.PASS, position=5)

    items = (
        ItemResult(key="appearance", name="外观检查", name_en="Visual inspection", clause="", verdict=Verdict.PASS,
                   layout="check",
                   note="表位 5：标志完整，指示装置清晰，封印完好。"),
        ItemResult(key="tightness", name="密封性", name_en="Tightness", clause="", verdict=Verdict.PASS, layout="check",
                   note="1.6 MPa 保压 1 min 无渗漏。"),
        ItemResult(key="indication_error", name="示值误差", name_en="Error of indication", clause="",
                   verdict=Verdict.PASS, layout="error_of_mean", results=(q("Q1 (0.025 m³/h)", (1.9,), "+1.9", 5.0),
                                                  q("Q2 (0.040 m³/h)", (0.6,), "+0.6", 2.0),
                                                  q("Q3 (2.5 m³/h)", (-0.4,), "-0.4", 2.0))),
    )
    base = sample_record()
    return replace(
        base,
        run_id="run-2026-11-23-0101",
        record_no="YS2026-1123-0101-05",
        certificate_no="JDZ2026-11-0105",
        regulation_code="JJG 162-2019",
        regulation_title="饮用冷水水表",
        edition="2019",
        instrument=InstrumentInfo(name="饮用冷水水表", model="LXS-15E", serial="SW2611-000305",
                                  manufacturer="某某水表股份有限公司", accuracy_class="2", client="某市自来水有限公司",
                                  measuring_range="DN15, Q3 = 2.5 m³/h, R = 100", category="水表",
                                  specification="DN15　Q3 = 2.5 m³/h　R100",
                                  specs=(SpecLine("常用流量", "Q3", "Q3 = 2.5 m³/h"), SpecLine("量程比", "R", "R100"),
                                         SpecLine("公称口径", "DN", "DN15"), SpecLine("温度等级", "Temperature class", "T30")),
                                  parameters={"q3_m3_h": 2.5, "ratio_r": 100.0, "dn_mm": 15, "temperature_class": "T30"}),
        standards=(StandardUsed(name="电子天平", model="XPW-60K", serial="2024-0112", certificate_no="JLZ2026-0042",
                                valid_until=date(2027, 8, 31), accuracy="Ⅲ级, e = 1 g",
                                measuring_range="(0~60) kg", setup="[2024]某量标证字第052号"),),
        setups=(StandardSetup(name="水表检定装置（称重法）", certificate_no="[2024]某量标证字第052号",
                              valid_until=date(2028, 12, 31)),),
        environment=Environment(place="本所水表实验室", temperature_c=21.8, humidity_pct=52.0,
                                conditions=(Condition("water_temperature_c", "水温", "Water temperature", "°C",
                                                      (20.4, 20.6)),)),
        items=items,
        valid_until=None,
        service_life_until=date(2032, 11, 22),
        validity_kind="service_life",
        validity_rule="使用期限 6 年，到期更换 (service life, replaced when due)：DN ≤ 25 且 Q3 ≤ 16 m³/h：首次强制检定、"
                      "限期使用、到期轮换，使用期限不超过 6 年；JJG 162-2019",
        document=kinds()["certificate"].info(),
        station={"name": "水表检定装置 JDW-20", "position": 5, "positions": 20},
    )


def sample_readings(record: VerificationRecord) -> list[dict[str, Any]]:
    """The raw readings behind :func:`sample_record`'s results, in the form the store keeps them
    (step, key, value, unit, source, taken_at), keyed as the procedures key them (step
    ``operating_error_2``, key ``r1:error``): each measured value of each result, taken one minute
    apart from 14:00 on the verification day."""
    start = datetime(record.verified_on.year, record.verified_on.month, record.verified_on.day, 14, 0, tzinfo=CST)
    out: list[dict[str, Any]] = [
        {"step": "env_temperature", "key": "temperature_c", "value": record.environment.temperature_c,
         "unit": "°C", "source": "thermohygrometer", "taken_at": start},
        {"step": "env_humidity", "key": "humidity_pct", "value": record.environment.humidity_pct,
         "unit": "%", "source": "thermohygrometer", "taken_at": start},
    ]
    for item in record.items:
        for n, result in enumerate(item.results, start=1):
            for r, value in enumerate(result.values, start=1):
                out.append(
                    {"step": f"{item.key}_{n}", "key": f"r{r}:{'error' if result.unit == '%' else 'clock_display'}",
                     "value": value, "unit": result.unit,
                     "source": "reference" if result.unit == "%" else "time_standard",
                     "taken_at": start + timedelta(minutes=len(out))}
                )
    return out


