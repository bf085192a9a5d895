"""gemmini-gen: a pip-installable Gemmini-compatible accelerator generator."""

from .config import ConfigError, Dataflow, GemminiConfig, preset, preset_names

__version__ = "0.1.0"

__all__ = ["ConfigError", "Dataflow", "GemminiConfig", "preset", "preset_names", "__version__"]
