"""What every benchmark script starts with: `import benchkit` first puts the repository on
sys.path, so the test kits import as `tests.<kit>` (and, as the kits import one another, as
`<kit>`), and names the examples the benchmarks run on."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SIM_RIG = EXAMPLES / "sim_rig.toml"
STUDIO_RULES = EXAMPLES / "rules" / "studio_default.toml"

for _folder in (ROOT / "tests", ROOT):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
