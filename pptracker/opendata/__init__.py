"""Open data: CSV, JSON and OC4IDS exports of everything the public may see."""
