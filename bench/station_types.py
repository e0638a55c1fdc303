"""The value types every part of the station file's schema shares (bench/station_schema.py, the
device sections of bench/station_devices.py, the twin tables of bench/station_sim.py): strict text
of a sane length, finite numbers, ports, and the base models that refuse unknown keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

MAX_TEXT = 200
"""The longest name, place or identifier a station file may give (a certificate line, not a novel)."""

Text = Annotated[StrictStr, Field(max_length=MAX_TEXT)]
LongText = Annotated[StrictStr, Field(max_length=5000)]  # a public key, a path
Number = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]
Positive = Annotated[StrictFloat | StrictInt, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[StrictFloat | StrictInt, Field(ge=0, allow_inf_nan=False)]
Percent = Annotated[StrictFloat | StrictInt, Field(ge=0, le=100, allow_inf_nan=False)]
PositiveInt = Annotated[StrictInt, Field(gt=0)]
NonNegativeInt = Annotated[StrictInt, Field(ge=0)]
TcpPort = Annotated[StrictInt, Field(ge=0, le=65535)]  # 0: a free port (twins, tests)
SerialPort = Annotated[StrictStr, Field(min_length=1, max_length=1000)]  # /dev/ttyUSB0, COM3
Positions = Annotated[StrictInt, Field(ge=1, le=1000)]
Key = StrictStr | StrictInt  # a table's key: a string in TOML (a position number from Python)
Parity = Literal["N", "E", "O"]
StopBits = Literal[1, 2]
Bool = StrictBool


class Strict(BaseModel):
    """A table whose keys are all known: anything else is refused, and no value is coerced
    (``"false"`` is not a boolean, ``"30"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)
