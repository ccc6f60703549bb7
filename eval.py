"""Test a checkpoint: `python eval.py ckpt_path=logs/.../checkpoints/last.ckpt`."""

from litlab.eval import main

if __name__ == "__main__":
    main()
