"""`python -m scanner` runs the same command line as `mindee-scan`."""

from scanner.cli.main import main

raise SystemExit(main())
