"""The web side: one blueprint per capability, and what every request goes through.

Views parse input, call the rules in ideaboard/board/, and render templates; nothing here
holds a rule of the board or SQL text.
"""
