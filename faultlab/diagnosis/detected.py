"""The exception a case's oracle raises when it sees a fault no crash would reveal."""

ORACLE_KINDS = ("swallowed-error", "silent-corruption", "abi-mismatch")


class Detected(Exception):
    """An oracle found a fault on purpose: lost data, corrupted text, a wrong operation.

    Uncaught, it ends the child with a traceback whose last line reads
    ``faultlab.Detected: <kind>: <message>``, which the classifier recognises.
    """

    def __init__(self, kind: str, message: str):
        if kind not in ORACLE_KINDS:
            raise ValueError(f"Detected kind must be one of {', '.join(ORACLE_KINDS)}, not {kind!r}")
        super().__init__(kind, message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


Detected.__module__ = "faultlab"
