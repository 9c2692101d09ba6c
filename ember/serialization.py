"""ember.save / ember.load in PyTorch's zip format (being written)."""
