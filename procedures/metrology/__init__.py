"""Numpy metrology core: errors, statistics, rounding (修约), GUM budgets, JJF 1094 decisions, MPE tables.

Also the volume corrections of the standard metal can method (JJG 443, ``corrections``) and the
water-meter chain of JJG 162 (density, air buoyancy, zone MPE, test volume: ``water``).
Plain numbers and arrays in, plain numbers and arrays out, vectorised across bench positions; exact
``Decimal`` arithmetic wherever a regulation boundary is judged (rounding and conformity decisions).
"""

from .clock import clock_offset_s, daily_clock_error_s_per_day
from .corrections import (
    REFERENCE_TEMPERATURE_C,
    can_method_budget,
    can_volume_at_fuel_temperature,
    can_volume_from_neck,
    neck_reading_for_volume,
    temperature_factor,
)
from .decision import Decision, decide, decide_array
from .errors import computed_pulses, pulse_comparison_error, relative_error
from .mpe import MpeLookupError, MpeTable
from .rounding import DecimalLike, decimals_of, format_rounded, round_array, round_to_interval, to_decimal
from .stats import mean, repeatability_range, sample_std
from .uncertainty import (
    UncertaintyBudget,
    UncertaintyComponent,
    combined_standard_uncertainty,
    expanded_uncertainty,
    resolution_component,
    rounding_component,
    type_a_of_mean,
)
from .water import (
    air_density,
    buoyancy_corrected_mass,
    choose_test_volume,
    flow_rates,
    indication_errors,
    master_meter_volume_at_meter,
    minimum_test_volume,
    volume_from_mass,
    water_density,
    zone_mpe,
)

__all__ = [
    "REFERENCE_TEMPERATURE_C",
    "DecimalLike",
    "Decision",
    "MpeLookupError",
    "MpeTable",
    "UncertaintyBudget",
    "UncertaintyComponent",
    "air_density",
    "buoyancy_corrected_mass",
    "can_method_budget",
    "can_volume_at_fuel_temperature",
    "can_volume_from_neck",
    "choose_test_volume",
    "clock_offset_s",
    "combined_standard_uncertainty",
    "computed_pulses",
    "daily_clock_error_s_per_day",
    "decide",
    "decide_array",
    "decimals_of",
    "expanded_uncertainty",
    "flow_rates",
    "format_rounded",
    "indication_errors",
    "master_meter_volume_at_meter",
    "mean",
    "minimum_test_volume",
    "neck_reading_for_volume",
    "pulse_comparison_error",
    "relative_error",
    "repeatability_range",
    "resolution_component",
    "round_array",
    "round_to_interval",
    "rounding_component",
    "sample_std",
    "temperature_factor",
    "to_decimal",
    "type_a_of_mean",
    "volume_from_mass",
    "water_density",
    "zone_mpe",
]
