"""Watching a run: per-snapshot summaries, health detectors, presets and the per-run monitor."""
from __future__ import annotations

from .detectors import RULES, detect
from .history import History, summarize
from .presets import PRESETS, preset_config
from .watch import RunHealth, locate_divergence

__all__ = ['History', 'PRESETS', 'RULES', 'RunHealth', 'detect', 'locate_divergence', 'preset_config', 'summarize']
