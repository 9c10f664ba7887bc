"""`python -m ashisense`: the command line of ashisense_cli, as the `ashisense` script runs it.

The one module of ashisense that reaches above the package (a program entry, imported by none).
"""

import sys

from ashisense_cli import main

sys.exit(main())
