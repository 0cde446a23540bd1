"""Understanding what a child wrote: training data, classifiers and the crisis safety net."""
