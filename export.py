"""Export a checkpoint: `python export.py ckpt_path=<.ckpt> format=onnx|pt2|torchscript`."""

from litlab.export import main

if __name__ == "__main__":
    main()
