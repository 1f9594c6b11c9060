"""``python -m swift3compat.sweeper``: the lifecycle sweeper."""
from swift3compat.sweeper.lifecycle import main

main()
