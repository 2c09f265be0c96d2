"""Imports every module that registers job handlers, so a worker knows all job kinds."""
