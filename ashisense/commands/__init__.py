"""Sub-commands of `ashisense`: each module defines `register(subparsers)`."""
