"""Lightning callbacks that litlab adds to every run."""
