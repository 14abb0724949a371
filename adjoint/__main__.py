"""`python -m adjoint` is the `adjoint` command."""
import sys

from .tools.cli import main

sys.exit(main())
