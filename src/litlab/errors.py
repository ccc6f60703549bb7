"""User-facing errors: one clear line that names the fix, never a stack trace."""


class LitlabError(Exception):
    """A problem the user can fix (bad override, missing data, bad checkpoint).

    The CLI prints its message as a single line and exits non-zero.
    """
