"""How a case run is isolated: a fresh interpreter (spawn), or a child forked from a warm server.

``policy`` decides which, in one place; ``client`` talks to a server, ``server`` is one,
``protocol`` is what they say to each other.
"""
