# -*- coding: utf-8 -*-
"""What a credential of the stack must look like.

The one definition of the policy: the ``inception_secret`` module applies it when it
writes a secret, and the preflight applies it (filter ``inception_secret_weakness``)
before anything on the host changes.
"""

import string

# No quote, backslash, '$' or space in *generated* secrets (they travel through shell,
# SQL and PHP); user-supplied ones may contain them and are escaped where used.
ALPHABET = string.ascii_letters + string.digits + "-_.,:+=@%^"
# Shortest user-supplied secret accepted.
MIN_LENGTH = 12
# Shortest secret the policy can be met with: three character classes and at
# least six distinct characters.
SHORTEST = 6


def distinct_needed(min_length):
    """How many distinct characters a secret of at least ``min_length`` must hold."""
    return max(SHORTEST, min_length // 2)


def weakness(value, min_length):
    """Return why ``value`` is unacceptable (a phrase that never quotes it), or None."""
    if any(ch in value for ch in "\n\r\0"):
        return "contains a newline or NUL character"
    if value != value.strip():
        return "starts or ends with whitespace"
    if len(value) < min_length:
        return "has %d characters, fewer than %d" % (len(value), min_length)
    classes = sum(
        any(test(ch) for ch in value)
        for test in (str.islower, str.isupper, str.isdigit)
    )
    if classes < 3:
        return "does not mix lowercase, uppercase and digits"
    if len(set(value)) < distinct_needed(min_length):
        return "repeats too few distinct characters (fewer than %d different)" % distinct_needed(min_length)
    return None
