"""Convert motion clips from Isaac Lab AMP npz, LAFAN1 G1 CSV or mjlab npz into the project's HDF5 schema.

    python scripts/convert_motion.py humanoid-amp-npz walk.npz --robot g1 --out data/motions/my_walk.h5

See ``trirl_isaac.motion.importers`` (or --help) for the formats and options.
"""

import sys

from trirl_isaac.motion.importers import main

if __name__ == "__main__":
    sys.exit(main())
