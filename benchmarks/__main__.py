"""`python -m benchmarks ...` = `cairn bench ...` (the legs run this way, from the checkout)."""

import sys

from benchmarks.cli import main

sys.exit(main(sys.argv[1:]))
