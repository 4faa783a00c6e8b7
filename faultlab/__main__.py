from .cli.__main__ import entrypoint

entrypoint()
