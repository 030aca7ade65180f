"""Training of the learned motion models with Lightning: data windows, the two stages, `facemotion train`."""
