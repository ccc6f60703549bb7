"""`litlab-serve ckpt_path=...` (or `make serve`): an HTTP model server on 127.0.0.1."""

from litlab.cli import entry_point

main = entry_point("serve", "litlab.serving:serve")

if __name__ == "__main__":
    main()
