"""Import units, members, issuing bodies, initiatives and commendations from CSV or XLSX.

The ``import_*`` management commands are a public contract that outside scripts rely on:
a file with a header line (English column names or their Vietnamese aliases), one record a
line. Every row is checked before anything is written; any bad row rejects the whole file and
each problem is reported as ``line N, column C: message`` (the prefix is fixed and
machine-readable, the message is translated). Codes are keys, so importing the same file
again changes nothing.

One ``Importer`` subclass per kind of file (``units``, ``members``, ``issuers``,
``initiatives``, ``commendations``) declares its columns, reads a row into a record
(a dataclass), checks the records against each other and the database (``prepare``, which
also works out what would change) and writes them in bulk (``write``); ``base.run_import``
drives them. ``files`` reads the table, ``text`` and ``vocabularies`` read a cell,
``resolvers`` read references to phases, fields and units.
"""

from .base import (
    IMPORT_SOURCE,
    Column,
    ImportCommand,
    Importer,
    ImportResult,
    Outcome,
    Row,
    RowError,
    run_import,
)
from .commendations import CommendationImporter, IssuerResolver, guess_issuer
from .files import ImportFileError, Sheet, read_sheet
from .initiatives import InitiativeImporter
from .issuers import IssuerImporter
from .members import MemberImporter
from .resolvers import FieldResolver, PhaseResolver
from .text import Choices, cell_text, fold, parse_date
from .units import UnitImporter
from .vocabularies import (
    AWARDS,
    IMPORT_STATUSES,
    INITIATIVE_KINDS,
    ISSUER_KINDS,
    RECIPIENT_KINDS,
    ROLES,
    UNIT_KINDS,
)

__all__ = [
    "AWARDS",
    "IMPORT_SOURCE",
    "IMPORT_STATUSES",
    "INITIATIVE_KINDS",
    "ISSUER_KINDS",
    "RECIPIENT_KINDS",
    "ROLES",
    "UNIT_KINDS",
    "Choices",
    "Column",
    "CommendationImporter",
    "FieldResolver",
    "ImportCommand",
    "ImportFileError",
    "ImportResult",
    "Importer",
    "InitiativeImporter",
    "IssuerImporter",
    "IssuerResolver",
    "MemberImporter",
    "Outcome",
    "PhaseResolver",
    "Row",
    "RowError",
    "Sheet",
    "UnitImporter",
    "cell_text",
    "fold",
    "guess_issuer",
    "parse_date",
    "read_sheet",
    "run_import",
]
