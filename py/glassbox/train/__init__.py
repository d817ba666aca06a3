"""Training: the trainer, run settings, the snapshot schema and exact checkpoints."""
from __future__ import annotations

from .checkpoint import load as load_checkpoint, save as save_checkpoint
from .config import CHOICES, CONFIG_FIELDS, DEFAULT_CONFIG, build_trainer, validate_config
from .limits import get_limits, set_limits
from .snapshot import SCHEMA_VERSION, make_snapshot
from .trainer import Trainer, relative_changes

__all__ = ['CHOICES', 'CONFIG_FIELDS', 'DEFAULT_CONFIG', 'SCHEMA_VERSION', 'Trainer', 'build_trainer', 'get_limits',
           'load_checkpoint', 'make_snapshot', 'relative_changes', 'save_checkpoint', 'set_limits', 'validate_config']
