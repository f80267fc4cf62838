"""The one error type the CLI turns into a single clear line and exit code 1."""


class ConfigError(Exception):
    """A setting or configuration file the user must fix.

    The message names the file (or variable), the entry and the field.
    """
