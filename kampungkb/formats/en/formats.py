# The English UI keeps the Indonesian day-first dates: the data are Indonesian, and a date
# typed by a user must mean the same thing whatever the UI language. Only the number
# separators follow English.
from kampungkb.formats.id.formats import *  # noqa: F403

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
