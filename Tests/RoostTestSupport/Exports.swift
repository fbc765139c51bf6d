// The seeded generator and the fuzz inputs belong to the test support every suite imports.
@_exported import RoostFuzzing
