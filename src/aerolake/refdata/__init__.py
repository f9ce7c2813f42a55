"""Reference data shipped with aerolake or taken from installed packages; never downloaded."""
