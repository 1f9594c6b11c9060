"""``python -m swift3compat.sweeper``: the lifecycle sweeper."""
import sys

from swift3compat.sweeper.lifecycle import main

sys.exit(main())
