"""A helper module imported by main.py: editing it reloads the app."""


def greet(name: str) -> str:
    return f"Hello from {name}!"
