"""Models of the activities app, one module per area (import them all here)."""

from .core import (  # noqa: F401
    FAMILY_FUNCTIONS_8,
    MAX_PARTICIPANTS,
    OPD,
    Activity,
    ActivityPhoto,
    ActivityTransition,
    FamilyFunction,
    FundingSource,
    OPDProgram,
    Origin,
    PokjaMember,
    Poktan,
    TargetGroup,
    photo_upload_to,
)
from .imports import ImportBatch  # noqa: F401
from .usulan import ANSWER_DAYS, Usulan, UsulanTransition  # noqa: F401
