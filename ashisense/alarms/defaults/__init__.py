"""The studio defaults shipped with AshiSense: the alarm rule set and the contraindication map.

The TOML files in this package are the one copy (examples/rules/ links to them); they are
package data, so an installed AshiSense has them too. `ashisense record` uses them when no
--rules / --contraindications are given.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from ashisense.alarms.limits import ContraindicationMap, parse_contraindications
from ashisense.alarms.rules import RuleSet, parse_rule_set

#: The studio's default rule set and contraindication map (read them with .read_text()).
RULES_FILE: Traversable = files(__name__) / "studio_default.toml"
CONTRAINDICATIONS_FILE: Traversable = files(__name__) / "contraindications.toml"


def studio_rules() -> RuleSet:
    """The default studio rule set (studio_default.toml)."""
    return parse_rule_set(RULES_FILE.read_text(encoding="utf-8"), source=str(RULES_FILE))


def studio_contraindications() -> ContraindicationMap:
    """The default contraindication map (contraindications.toml)."""
    text = CONTRAINDICATIONS_FILE.read_text(encoding="utf-8")
    return parse_contraindications(text, source=str(CONTRAINDICATIONS_FILE))
