"""`python -m lab.detectors`: see run.py."""

from lab.detectors.run import main

raise SystemExit(main())
