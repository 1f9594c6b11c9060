"""``python -m swift3compat.sweeper``: the lifecycle sweeper."""
from swift3compat.sweeper.lifecycle import main

if __name__ == '__main__':      # importing it alone runs nothing
    main()
