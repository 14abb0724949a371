"""`python -m adjoint` is the `adjoint` command."""
import sys

from .cli import main

sys.exit(main())
