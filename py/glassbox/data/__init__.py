"""Datasets: one registry (``registry``), the packed format, toy sets and IDX files."""
from __future__ import annotations

from .idx import load_idx, read_idx
from .packed import pack_dataset, unpack_dataset
from .registry import DATASET_INFO, DATASETS, PACKED_SETS, load_dataset, register_packed, split
from .toy import TOY_SETS, toy_points
from .user import USER_LIMITS, user_dataset, user_idx

__all__ = ['DATASETS', 'DATASET_INFO', 'PACKED_SETS', 'TOY_SETS', 'load_dataset', 'load_idx', 'pack_dataset',
           'read_idx', 'register_packed', 'split', 'toy_points', 'unpack_dataset']
__all__ += ['USER_LIMITS', 'user_dataset', 'user_idx']
