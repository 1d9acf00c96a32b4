"""Robot and ground-plane assets for the Isaac Lab tasks (imports Isaac Lab; never imported by the algorithm).

The USD files live in ``data/`` inside this package and are built by ``scripts/build_assets.py``.
"""

from .robots import (
    ASSET_DIR,
    G1_29DOF_CFG,
    G1_29DOF_USD,
    G1_BASE_BODY,
    G1_FEET,
    G1_KEY_BODIES,
    G1_NCONMAX,
    G1_NJMAX,
    G1_TORSO_BODY,
    GO2_BASE_BODY,
    GO2_CFG,
    GO2_FEET,
    GO2_KEY_BODIES,
    GO2_NCONMAX,
    GO2_NJMAX,
    GO2_USD,
    GROUND_PLANE_USD,
    set_mjwarp_limits,
    use_local_ground_plane,
)

__all__ = [
    "ASSET_DIR",
    "G1_29DOF_CFG",
    "G1_29DOF_USD",
    "G1_BASE_BODY",
    "G1_FEET",
    "G1_KEY_BODIES",
    "G1_NCONMAX",
    "G1_NJMAX",
    "G1_TORSO_BODY",
    "GO2_BASE_BODY",
    "GO2_CFG",
    "GO2_FEET",
    "GO2_KEY_BODIES",
    "GO2_NCONMAX",
    "GO2_NJMAX",
    "GO2_USD",
    "GROUND_PLANE_USD",
    "set_mjwarp_limits",
    "use_local_ground_plane",
]
