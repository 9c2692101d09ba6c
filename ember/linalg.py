"""ember.linalg: linear algebra (torch.linalg)."""
