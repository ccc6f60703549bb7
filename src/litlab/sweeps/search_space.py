"""Search spaces in Hydra's override grammar, turned into Optuna distributions.

In `hydra.sweeper.params` (or on the command line):

    model.optimizer.lr: tag(log, interval(1e-4, 1e-1))   # float, log scale
    model.net.dropout: interval(0.0, 0.5)                # float, uniform
    data.batch_size: choice(32, 64, 128)                 # categorical
    trainer.max_epochs: range(2, 8)                      # int 2..7 (stop excluded, as in Python)
    model.net.hidden_sizes: choice([128], [256, 128])    # lists are categorical too

`tag(int, interval(a, b))` samples integers in [a, b]; `tag(log, ...)` works on ints as well.
A plain value (`trainer.max_epochs=2`) is passed unchanged to every trial.
"""

from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import (
    ChoiceSweep,
    IntervalSweep,
    Override,
    RangeSweep,
)
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from litlab.errors import LitlabError

PRIMITIVES = (str, int, float, bool, type(None))


def to_override_value(value: Any) -> str:
    """A sampled value as Hydra override text (choices of lists are stored as that text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def distribution(override: Override) -> BaseDistribution:
    """The Optuna distribution of one sweep override (choice, range or interval)."""
    sweep = override.value()
    tags = set(getattr(sweep, "tags", ()) or ())
    log = "log" in tags
    if isinstance(sweep, ChoiceSweep):
        values = [v if isinstance(v, PRIMITIVES) else _as_text(v) for v in sweep.list]
        return CategoricalDistribution(values)
    if isinstance(sweep, RangeSweep):
        values = list(override.sweep_iterator())
        if not values:
            raise LitlabError(f"{override.input_line!r} is an empty range. Fix: check start/stop")
        step = sweep.step
        if all(isinstance(v, int) for v in values):
            return IntDistribution(values[0], values[-1], step=int(step), log=log and step == 1)
        return FloatDistribution(float(values[0]), float(values[-1]), step=float(step))
    if isinstance(sweep, IntervalSweep):
        if "int" in tags:
            return IntDistribution(int(sweep.start), int(sweep.end), log=log)
        return FloatDistribution(float(sweep.start), float(sweep.end), log=log)
    raise LitlabError(f"cannot search {override.input_line!r}. Fix: use choice/range/interval")


def _as_text(value: Any) -> str:
    """Non-primitive choice elements (lists, dicts) as override text: `[256,128]`."""
    if isinstance(value, list):
        return "[" + ",".join(_as_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_as_text(v)}" for k, v in value.items()) + "}"
    return to_override_value(value)


def parse_search(
    params: dict[str, str] | None, arguments: list[str], parser: OverridesParser
) -> tuple[dict[str, BaseDistribution], list[str]]:
    """(search space, fixed overrides) from the config's params and the command line.

    Command-line entries win over `hydra.sweeper.params` for the same key.
    """
    lines = [f"{key}={value}" for key, value in (params or {}).items()] + list(arguments)
    space: dict[str, BaseDistribution] = {}
    fixed: dict[str, str] = {}
    for override in parser.parse_overrides(lines):
        key = override.get_key_element()
        space.pop(key, None)
        fixed.pop(key, None)
        if override.is_sweep_override():
            space[key] = distribution(override)
        else:
            fixed[key] = f"{key}={override.get_value_element_as_str()}"
    return space, list(fixed.values())
