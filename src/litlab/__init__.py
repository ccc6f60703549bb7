"""litlab: a Lightning + Hydra research template.

Importing the package is cheap on purpose: torch and lightning load only when a run starts,
so `python train.py --help` and `--cfg job` answer in well under two seconds.
"""

__version__ = "0.1.0"
