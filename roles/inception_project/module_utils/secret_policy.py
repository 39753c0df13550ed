# -*- coding: utf-8 -*-
"""What a credential of the stack must look like (shared by the module and the tests)."""

import string

# No quote, backslash, '$' or space in *generated* secrets (they travel through shell,
# SQL and PHP); user-supplied ones may contain them and are escaped where used.
ALPHABET = string.ascii_letters + string.digits + "-_.,:+=@%^"


def weakness(value, min_length):
    """Return why ``value`` is unacceptable, or None."""
    if any(ch in value for ch in "\n\r\0"):
        return "contains a newline or NUL character"
    if len(value) < min_length:
        return "has %d characters, fewer than %d" % (len(value), min_length)
    classes = sum(
        any(test(ch) for ch in value)
        for test in (str.islower, str.isupper, str.isdigit)
    )
    if classes < 3:
        return "does not mix lowercase, uppercase and digits"
    if len(set(value)) < max(6, min_length // 2):
        return "repeats too few distinct characters"
    return None
