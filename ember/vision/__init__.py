"""ember.vision: transforms, datasets, models and image utilities (torchvision for Ember)."""
