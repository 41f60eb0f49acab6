"""The warehouse: the platform's monthly registers as Parquet, one folder per register and month.

`schema` says how each dictionary variable is stored, `store` reads and writes the
partitions, `importer` loads real source files after checking them, `synth`
generates a synthetic Luxembourg-like warehouse for demos, tests and benchmarks.
"""
