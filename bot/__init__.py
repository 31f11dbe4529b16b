"""mlquestion: daily machine-learning interview practice for study groups."""
