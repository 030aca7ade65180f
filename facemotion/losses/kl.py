"""KL divergence of a diagonal Gaussian posterior from a unit-variance Gaussian prior."""

import torch


def kl_divergence(mean: torch.Tensor, log_var: torch.Tensor, prior_mean: torch.Tensor | float = 0.0) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(prior_mean, I)) per element, averaged; a scalar.

    Args:
        mean, log_var: (..., Z) posterior parameters.
        prior_mean: the prior's mean, broadcastable to ``mean`` (0 for the standard normal).
    """
    return 0.5 * (log_var.exp() + (mean - prior_mean).square() - 1.0 - log_var).mean()
