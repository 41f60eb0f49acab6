"""Need-to-know extraction: from the warehouse to a project's IN, exactly as its access specification says.

`spec` (what is granted), `recode` (levels as SQL), `pseudonym` (per-project ids),
`writer` (one file per register and month), `codebook` (what was delivered),
`run` (the whole extraction, atomic), `service` (with the registry and audit).
"""
