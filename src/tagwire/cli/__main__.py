"""``python -m tagwire.cli``: how a worker starts its scheduler, and tests their processes."""

import sys

from tagwire.cli import main

sys.exit(main())
