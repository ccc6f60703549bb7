"""`litlab-predict` / `python predict.py ckpt_path=... input=<image folder | .npy | .pt>`."""

from litlab.cli import entry_point

main = entry_point("predict", "litlab.prediction:predict")

if __name__ == "__main__":
    main()
