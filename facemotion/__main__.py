"""``python -m facemotion``: the command line."""

import sys

from facemotion.cli import main

sys.exit(main())
