"""Detection: rules, the prefilter, the engine that turns text into matches, and the findings it builds."""
