"""Allow `python -m aos`."""

from aos.cli import main

raise SystemExit(main())
