import sys

from ashisense.cli import main

sys.exit(main())
