"""`litlab-train` / `python train.py`: the Hydra entry point for training and sweeps."""

from litlab.cli import entry_point

main = entry_point("train", "litlab.training:train_and_score")

if __name__ == "__main__":
    main()
