from . import bp  # noqa: F401
from . import models  # noqa: F401
