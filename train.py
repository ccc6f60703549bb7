"""Train a model: `python train.py experiment=cnn_mnist` (see README.md)."""

from litlab.train import main

if __name__ == "__main__":
    main()
