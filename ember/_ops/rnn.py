"""rnn ops (being written)."""
