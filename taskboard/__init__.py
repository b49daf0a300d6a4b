"""Taskboard: the small team task tracker that the course builds, lesson by lesson."""
