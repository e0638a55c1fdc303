"""``python -m hardware_sim <twin> …`` — start one twin alone (ref-meter, ac-post, dc-charger,
meter-bench, fuel-dispenser, flow-bench, scale) or the reference platform server (platform)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a twin's own ``main``."""
    args = list(sys.argv[1:] if argv is None else argv)
    twins = {"ref-meter": "hardware_sim.ref_meter", "ac-post": "hardware_sim.ac_post",
             "dc-charger": "hardware_sim.dc_charger", "meter-bench": "hardware_sim.meter_bench_cli",
             "fuel-dispenser": "hardware_sim.fuel_dispenser", "flow-bench": "hardware_sim.flow_bench",
             "scale": "hardware_sim.scale", "platform": "hardware_sim.platform.server"}
    if not args or args[0] not in twins:
        print("usage: python -m hardware_sim {ref-meter|ac-post|dc-charger|meter-bench|fuel-dispenser|flow-bench|scale|platform} [options]  (each accepts --help)")
        return 2
    import importlib

    module = importlib.import_module(twins[args[0]])
    return int(module.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
