"""Helpers shared by the tests (imported, never collected): recorded fixtures, local
servers, builders of realistic databases."""
