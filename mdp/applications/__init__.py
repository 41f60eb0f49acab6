"""Applications for data (the seeds' Ask4MDP): the researcher's form, the experts' review, approval."""
