"""Play a trained policy and export it for the robot (ONNX + TorchScript + deployment metadata).

    python scripts/play.py --task TRIRL-G1-Run-Play --checkpoint latest

The options and examples: ``python scripts/play.py --help`` (the code: trirl_isaac.cli.play)."""

from trirl_isaac.cli.play import main

if __name__ == "__main__":
    main()
