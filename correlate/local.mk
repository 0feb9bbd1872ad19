# correlate/: evidence filter, sketches, Redis state, rules, notifier.
