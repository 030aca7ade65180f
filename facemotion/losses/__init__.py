"""Training losses, apart from the models: vertex and velocity terms, the prior's KL divergence."""
