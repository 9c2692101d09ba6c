"""ember.optim: optimisers and learning-rate schedules."""
