"""Loss surfaces: analytic test functions, typed expressions and data-defined losses.

Every surface is vectorized over points of shape (n, 2); see ``surfaces.base.Surface``.
Importing this package registers every built-in surface in ``SURFACES``.
"""
from surfaces.base import CriticalPoint, Param, Surface, as_points
from surfaces.registry import SURFACES, UnknownSurface, make_surface, register
from surfaces import classic as _classic  # noqa: F401  (registers)
from surfaces import canyon as _canyon  # noqa: F401  (registers)
from surfaces import standard_functions as _standard_functions  # noqa: F401  (registers)
from surfaces import saddles as _saddles  # noqa: F401  (registers)
from surfaces import groove as _groove  # noqa: F401  (registers)
from surfaces import data as _data  # noqa: F401  (registers)
from surfaces import mlp_plane as _mlp_plane  # noqa: F401  (registers)

__all__ = [
    "CriticalPoint", "Param", "Surface", "SURFACES", "UnknownSurface", "as_points",
    "make_surface", "register",
]
