"""Turn OmegaConf nodes into plain Python containers.

Checkpoints must hold only plain types so that `torch.load(weights_only=True)` accepts them.
"""

from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf


def to_plain(value: Any) -> Any:
    """Resolve and convert DictConfig/ListConfig (nested anywhere) into dicts and lists."""
    if isinstance(value, DictConfig | ListConfig):
        return OmegaConf.to_container(value, resolve=True)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
