"""Defines no app, application or handler: not a function."""


def helper():
    return 42
