"""The station and its devices: name and place, each device with its driver, roles, address and
the reference standard it is (certificate and due date from the ledger, overdue in red), and a
connection test per device (on a simulated station the twins start for the test).

Why: before a run on a cold site the technician wants to know the standard is in date and the
meter answers — without starting a verification to find out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from bench.station import load_station
from gui.views._common import (
    big_button,
    button_bar,
    fill_table,
    message_label,
    record_table,
    refresh_shortcut,
    run_off_thread,
    scaled_font,
    select_where,
    show_message,
)


class StationView(QWidget):
    """The station's devices with status and a connection test."""

    STATUS_COLUMN = 6

    def __init__(self, controller: Any, station: Any | None = None, parent: QWidget | None = None,
                 stations: dict[str, Path] | None = None) -> None:
        """Build the view over ``controller`` (station_devices, test_connection) for ``station``, or
        the first of ``stations`` (name → station file, chosen in a combo)."""
        super().__init__(parent)
        self.controller = controller
        self.station = station
        self.stations = dict(stations or {})
        self.devices: list[Any] = []
        self.results: dict[str, Any] = {}  # device name → ConnectionResult
        self.testing: set[str] = set()
        lay = QVBoxLayout(self)
        self.chooser = QComboBox(self)
        self.chooser.setMinimumHeight(40)
        for name, path in self.stations.items():
            self.chooser.addItem(name, str(path))
        self.chooser.setVisible(bool(self.stations))
        lay.addWidget(self.chooser)
        self.title = QLabel(self)
        self.title.setObjectName("station_title")
        self.title.setFont(scaled_font(self.title, 1.4, bold=True))
        self.place = QLabel(self)
        lay.addWidget(self.title)
        lay.addWidget(self.place)
        self.table = record_table(self, 7, "devices")
        lay.addWidget(self.table, 1)
        self.test_button = big_button("", self, "test")
        self.refresh_button = big_button("", self, "refresh")
        button_bar(lay, (self.test_button, self.refresh_button))
        self.message = message_label(self, "station_message")
        lay.addWidget(self.message)
        self.test_button.clicked.connect(self.test_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._enable)
        refresh_shortcut(self, self.refresh)
        self.chooser.currentIndexChanged.connect(self._choose)
        self.retranslate()
        if self.station is None and self.stations:
            self._choose(0)

    def retranslate(self) -> None:
        """Re-apply texts after a language switch."""
        self.test_button.setText(self.tr("连接测试(&T)"))
        self.test_button.setAccessibleName(self.tr("连接测试"))
        self.refresh_button.setText(self.tr("刷新 (F5)"))
        self.refresh_button.setAccessibleName(self.tr("刷新"))
        self.table.setAccessibleName(self.tr("设备列表"))
        self.chooser.setAccessibleName(self.tr("工作站"))
        self.message.setAccessibleName(self.tr("消息"))
        self.table.setHorizontalHeaderLabels([self.tr("设备"), self.tr("驱动"), self.tr("角色"), self.tr("地址"),
                                              self.tr("标准器"), self.tr("有效期至"), self.tr("状态")])
        self._fill()

    def _choose(self, index: int) -> None:
        path = self.chooser.itemData(index)
        if not path:
            return
        try:
            self.set_station(load_station(path))
        except Exception as e:  # a broken station file is shown, not raised
            self.message.setText(str(e))

    def set_station(self, station: Any) -> None:
        """Show another station (a bench.station.Station)."""
        self.station = station
        self.results.clear()
        self.refresh()

    def refresh(self) -> None:
        """Reload the devices and their standards' state."""
        self.devices = self.controller.station_devices(self.station) if self.station is not None else []
        self._fill()

    def _fill(self) -> None:
        st = self.station
        self.title.setText(st.name if st is not None else self.tr("未选择工作站"))
        sim = self.tr("（模拟设备）") if st is not None and st.sim_enabled else ""
        self.place.setText(f"{st.place}{sim}" if st is not None else "")
        states = [self._status(d) for d in self.devices]
        fill_table(self.table, [(d.name, d.driver, ", ".join(d.roles), d.address, d.standard,
                                 str(d.standard_valid_until or ""), status)
                                for d, (status, _v) in zip(self.devices, states, strict=True)],
                   colour_column=self.STATUS_COLUMN, verdicts=[v for _s, v in states])
        self._enable()

    def _status(self, d: Any) -> tuple[str, str]:
        if d.name in self.testing:
            return self.tr("测试中…"), "pending"
        if d.standard and not d.standard_ok:
            return self.tr("标准器不可用"), "fail"
        r = self.results.get(d.name)
        if r is None:
            return self.tr("未测试"), "pending"
        return (self.tr("连接正常"), "pass") if r.ok else (self.tr("连接失败"), "fail")

    def _enable(self) -> None:
        self.test_button.setEnabled(self.table.currentRow() >= 0 and bool(self.table.selectedItems())
                                    and not self.testing)

    def select(self, name: str) -> None:
        """Select the device ``name``."""
        select_where(self.table, self.devices, lambda d: d.name == name)

    def test_selected(self) -> None:
        """Test the selected device's connection (off the GUI thread)."""
        row = self.table.currentRow()
        if not (0 <= row < len(self.devices)) or self.station is None:
            return
        name = self.devices[row].name
        self.testing.add(name)
        self._fill()
        station = self.station

        def done(result: Any, error: BaseException | None) -> None:
            self.testing.discard(name)
            if error is not None:
                self.message.setText(str(error))
            else:
                self.results[name] = result
                show_message(self.message, f"{result.message} ({result.elapsed_s:.1f} s)", result.ok)
            self._fill()
            self.select(name)

        run_off_thread(lambda: self.controller.test_connection(station, name), done)
