"""The sprints' reference values (data/reference/*.json), for the tests that use them."""
import json
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
SPRINTS = {p.stem: json.loads(p.read_text()) for p in sorted(REFERENCE.glob("sprint*.json"))}


def value(spec, A=None):
    """A JSON value as an array; "A" is the forward output, "zeros(1, 2)"/"ones(...)" what they say."""
    if spec == "A":
        return A
    if isinstance(spec, str):
        name, sizes = spec.rstrip(")").split("(")
        return getattr(np, name)(tuple(int(s) for s in sizes.split(",")))
    return np.array(spec)


def case(sprint: str, case_id: str) -> dict:
    """One layer case with its arrays: case("sprint2_conv2d", "2a")["params"]["W"]."""
    found = next(c for c in SPRINTS[sprint]["layers"] if c["id"] == case_id)
    out = {k: value(v) if k in ("X", "dA") and v != "A" else v for k, v in found.items()}
    out["params"] = {k: np.array(v, dtype=float) for k, v in found.get("params", {}).items()}
    out["expected"] = {k: np.array(v) for k, v in found.get("expected", {}).items()}
    return out
