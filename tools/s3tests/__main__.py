import sys

from tools.s3tests.runner import main

sys.exit(main())
