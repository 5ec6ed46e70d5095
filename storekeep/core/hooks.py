"""Extension points, so that imports point down (DEVELOPERS.md "Layers").

A lower app sometimes has a rule that depends on a higher app's rows: a
tenant setting reaches every stock row, a variant's stocking cannot change
while it has stock. The lower app declares a :class:`Hook` and calls it at the
point of the rule; the higher app registers its function in its
``AppConfig.ready``. The lower app never imports the higher one.
"""

from collections.abc import Callable


class Hook:
    """A named list of functions called in registration order with keyword arguments.

    They run inside the caller's transaction; one that raises a
    :class:`~storekeep.core.errors.DomainError` refuses the whole operation.
    """

    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable[..., None]] = []

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"

    def register(self, receiver: Callable[..., None]) -> Callable[..., None]:
        """Add ``receiver`` once (registering twice is a no-op); returns it (usable as a decorator)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def __call__(self, **kwargs) -> None:
        for receiver in self._receivers:
            receiver(**kwargs)
