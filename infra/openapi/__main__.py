"""``python -m infra.openapi``: print the OpenAPI document."""
import sys

from infra.openapi import main

sys.exit(main())
