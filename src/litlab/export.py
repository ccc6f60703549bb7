"""`litlab-export` / `python export.py ckpt_path=... format=onnx|pt2|torchscript`."""

from litlab.cli import entry_point

main = entry_point("export", "litlab.exporting:export")

if __name__ == "__main__":
    main()
