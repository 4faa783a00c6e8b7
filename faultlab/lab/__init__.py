"""The lab: the catalog of cases, their native libraries and builds, and running each variant in isolation.

It sits on ``diagnosis``: a case run is a runner child whose outcome is classified and
held against the case's ``Expect``; ``results`` records runs and cases for the reporters.
"""
