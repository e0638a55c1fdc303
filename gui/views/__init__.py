"""GUI views and `install_views`, the hook the VIEWS package uses to register its pages.

Why: the app (gui/app.py) builds the window shell and the core pages (run, results), then calls
`install_views` so the other pages are added in one place, one `window.register_page` call each.
"""

from __future__ import annotations

from typing import Any


def install_views(window: Any, controller: Any, bridge: Any) -> None:
    """Register the task, station, standards, ledger, certificate, approval, sync, bench-grid, campaign and
    rectification pages on `window`; a run refused for its standards offers the standards page.

    `window` is a gui.main_window.MainWindow, `controller` a bench.controller.Controller and
    `bridge` a gui.bridge.EngineBridge (for live views). Each page is added with
    `window.register_page(key, title_zh, widget)`. A page refreshes when it is shown and after
    every run (a run drafts certificates and queues uploads).
    """
    from gui.views.approval_view import ApprovalView
    from gui.views.bench_grid import BenchGrid
    from gui.views.campaign_view import CampaignPage
    from gui.views.certificate_view import CertificateView
    from gui.views.ledger_view import LedgerView
    from gui.views.next_actions import offer_next_actions
    from gui.views.rectification_view import RectificationView
    from gui.views.standards_view import StandardsView, offer_standards_page
    from gui.views.station_view import StationView
    from gui.views.sync_view import SyncView
    from gui.views.tasks_view import TasksView

    run_page = window.page("run") if "run" in window.page_keys() else None
    stations = dict(getattr(run_page, "stations", {}) or {})
    actor = str(getattr(controller, "actor", ""))
    if not getattr(controller, "platform_section", None):
        controller.platform_section = _platform_section(stations)
    pages: dict[str, Any] = {
        "bench": BenchGrid(controller, bridge),
        "tasks": TasksView(controller, person=actor),
        "station": StationView(controller, stations=stations),
        "standards": StandardsView(controller),
        "ledger": LedgerView(controller, person=actor),
        "certificates": CertificateView(controller),
        "approval": ApprovalView(controller),
        "sync": SyncView(controller, person=actor),
        "campaigns": CampaignPage(controller, person=actor),
        "rectification": RectificationView(controller, person=actor),
    }
    titles = {"bench": "表位", "tasks": "任务", "station": "工作站与设备", "standards": "标准器与装置", "ledger": "台账", "certificates": "证书",
              "approval": "审批", "sync": "同步",
              "campaigns": "专项工作", "rectification": "整改"}
    for key, widget in pages.items():
        window.register_page(key, titles[key], widget)

    def refresh(key: str) -> None:
        page = pages.get(key)
        if page is not None and callable(getattr(page, "refresh", None)):
            page.refresh()

    window.page_changed.connect(refresh)
    if run_page is not None and callable(getattr(run_page, "link_task", None)):
        # 检定此任务: the run page opens with the accepted booking linked and its serial proposed
        def verify_task(booking_id: str, serial: str) -> None:
            run_page.link_task(booking_id, serial)
            window.show_page("run")

        pages["tasks"].verify_requested.connect(verify_task)
    if run_page is not None and hasattr(run_page, "refused"):  # a standard not usable: open its page
        run_page.refused.connect(lambda error: offer_standards_page(window, error))
    if run_page is not None and bridge is not None:  # after a 不合格: notice, re-test, adjust and re-verify
        bridge.run_done.connect(lambda summary: offer_next_actions(window, run_page, summary))

        # 复检所选: the follow-up run starts on the run page, where its prompts are answered
        def retest(run_id: str) -> None:
            run_page.resume(run_id)
            window.show_page("run")

        pages["bench"].start_run = retest
    if bridge is not None:
        bridge.run_done.connect(lambda _summary: [refresh(k) for k in ("certificates", "approval", "sync", "tasks", "ledger")])


def _platform_section(stations: dict[str, Any]) -> dict[str, Any]:
    """The first [platform] section among the offered station files ({} when none: the sync and
    task pages then use JIANDING_PLATFORM_URL / JIANDING_PLATFORM_TOKEN, or say what is missing)."""
    from bench.station import load_station

    for path in stations.values():
        try:
            section = load_station(path).section("platform")
        except Exception:  # a broken station file is the run page's to report
            continue
        if section:
            return section
    return {}
