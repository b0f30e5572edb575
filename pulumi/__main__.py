"""Entry point of the vigie Pulumi program: wiring only (see vigie_stack/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from vigie_stack.config import read_config
from vigie_stack.program import declare

declare(read_config())
