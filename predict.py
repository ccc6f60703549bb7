"""Predict from files: `python predict.py ckpt_path=<.ckpt> input=<image folder | .npy | .pt>`."""

from litlab.predict import main

if __name__ == "__main__":
    main()
