"""The dashboard's sub-commands of `ashisense` (serve, demo): each module defines
`register(subparsers)`, as in ashisense.commands; ashisense_cli collects both packages."""
