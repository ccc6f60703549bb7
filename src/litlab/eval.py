"""`litlab-eval` / `python eval.py ckpt_path=...`: test a trained checkpoint."""

from litlab.cli import entry_point

main = entry_point("eval", "litlab.evaluation:evaluate")

if __name__ == "__main__":
    main()
